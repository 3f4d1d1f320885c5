//! `[network]` (the default link and the declared links, client links included) and
//! `[protocols]` (the REST and gRPC cost profiles).

use super::error::{choices, Kind, SpecError};
use super::loc::Loc;
use super::raw::{RawNetwork, RawProtocols};
use super::symbols::{service_name, Names, CLIENT};
use super::values::In;
use crate::model::{Dist, Link, LinkId, ProtocolProfile, ServiceId};

/// The default link (index 0) and the declared links, in file order.
pub(crate) fn network(
    at: &In,
    net: Option<&Loc<RawNetwork>>,
    names: &mut Names,
) -> Result<Vec<Link>, SpecError> {
    let (latency, loss) = match net {
        None => (Dist::constant(0), 0.0),
        Some(n) => (
            at.dist_or_zero(&n.value.latency, "network.latency")?,
            n.value
                .loss
                .as_ref()
                .map_or(Ok(0.0), |l| at.probability(l, "network.loss"))?,
        ),
    };
    let mut links = vec![Link {
        name: "default".to_owned(),
        latency: latency.clone(),
        loss,
    }];
    let Some(net) = net else { return Ok(links) };
    for (i, l) in net.value.links.iter().flatten().enumerate() {
        let field = format!("network.links[{i}]");
        let end = |key: &str,
                   v: &Option<Loc<String>>,
                   client_ok: bool|
         -> Result<Option<ServiceId>, SpecError> {
            let f = format!("{field}.{key}");
            let Some(v) = v else {
                return Err(at.err(
                    Kind::Missing,
                    l,
                    &field,
                    format!(
                        "missing `{key}` (a service name{})",
                        if client_ok { " or \"client\"" } else { "" }
                    ),
                ));
            };
            if client_ok && v.value == CLIENT {
                return Ok(None);
            }
            match names.services.get(&v.value) {
                Some(&id) => Ok(Some(id)),
                None => {
                    let mut valid: Vec<&str> = names.services.keys().map(String::as_str).collect();
                    if client_ok {
                        valid.push(CLIENT);
                    }
                    let hint = if !client_ok && v.value == CLIENT {
                        " (\"client\" can only be a link's `from`)"
                    } else {
                        ""
                    };
                    Err(at.err(
                        Kind::Unknown,
                        v,
                        &f,
                        format!("unknown service \"{}\"{hint}; {}", v.value, choices(valid)),
                    ))
                }
            }
        };
        let from = end("from", &l.value.from, true)?;
        let Some(to) = end("to", &l.value.to, false)? else {
            return Err(at.err(
                Kind::Invalid,
                l,
                &format!("{field}.to"),
                "\"client\" can only be a link's `from`",
            ));
        };
        let id = LinkId(links.len() as u32);
        let from_name = from.map_or(CLIENT, |s| service_name(names, s));
        let name = format!("{from_name}->{}", service_name(names, to));
        if names.links.insert((from, to), id).is_some() {
            return Err(at.err(
                Kind::Duplicate,
                l,
                &field,
                format!("duplicate link {name}; declare each link once"),
            ));
        }
        let latency = match &l.value.latency {
            Some(d) => at.dist(d, &format!("{field}.latency"))?,
            None => latency.clone(),
        };
        let loss = l
            .value
            .loss
            .as_ref()
            .map_or(Ok(loss), |p| at.probability(p, &format!("{field}.loss")))?;
        links.push(Link {
            name,
            latency,
            loss,
        });
    }
    Ok(links)
}

pub(crate) fn protocol_profiles(
    at: &In,
    p: Option<&Loc<RawProtocols>>,
) -> Result<[ProtocolProfile; 2], SpecError> {
    let mut out = [
        ProtocolProfile::rest_default(),
        ProtocolProfile::grpc_default(),
    ];
    let Some(p) = p else { return Ok(out) };
    for (i, (name, raw)) in [("rest", &p.value.rest), ("grpc", &p.value.grpc)]
        .into_iter()
        .enumerate()
    {
        let Some(raw) = raw else { continue };
        if let Some(v) = &raw.value.per_message {
            out[i].per_message = at.duration(v, &format!("protocols.{name}.per_message"))?;
        }
        if let Some(v) = &raw.value.per_kib {
            out[i].per_kib = at.duration(v, &format!("protocols.{name}.per_kib"))?;
        }
    }
    Ok(out)
}
