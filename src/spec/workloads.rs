//! `[[workload]]`: a flow's entry, link, protocol, timeouts, rate limit and arrivals.

use super::error::{Kind, SpecError};
use super::limits;
use super::loc::Loc;
use super::raw::{RawScheduleEntry, RawWorkload};
use super::simulation::raw_text;
use super::symbols::{resolve_op, Names};
use super::values::In;
use crate::model::{Arrivals, LinkId, Workload};

pub(crate) fn workload(
    at: &In,
    names: &Names,
    w: &Loc<RawWorkload>,
    i: usize,
) -> Result<Workload, SpecError> {
    let field = format!("workload[{i}]");
    let r = &w.value;
    let Some(entry_name) = &r.entry else {
        return Err(at.err(
            Kind::Missing,
            w,
            &field,
            "missing `entry`, the operation clients call, e.g. entry = \"gateway.checkout\"",
        ));
    };
    let entry = resolve_op(at, names, entry_name, &format!("{field}.entry"))?;
    let flow = r
        .flow
        .as_ref()
        .map_or_else(|| entry_name.value.clone(), |f| f.value.clone());
    let protocol = at.protocol(&r.protocol, &format!("{field}.protocol"))?;
    let timeout = at.timeout(&r.timeout, &format!("{field}.timeout"))?;
    let deadline = r.deadline.as_ref().is_some_and(|d| d.value);
    if let Some(d) = r.deadline.as_ref().filter(|d| d.value && timeout.is_none()) {
        return Err(at.err(
            Kind::Invalid,
            d,
            &format!("{field}.deadline"),
            "deadline propagation needs a `timeout` on the workload, e.g. timeout = \"2s\"",
        ));
    }
    let rate_limit = match &r.rate_limit {
        None => None,
        Some(l) => Some(at.rate_limit(l, &format!("{field}.rate_limit"))?),
    };
    let link = names
        .links
        .get(&(None, names.op_service[entry.0 as usize]))
        .copied()
        .unwrap_or(LinkId(0));
    let arrivals = arrivals(at, w, &field)?;
    Ok(Workload {
        flow,
        entry,
        link,
        protocol,
        timeout,
        deadline,
        rate_limit,
        arrivals,
    })
}

/// A workload's `arrivals`: exactly one of poisson, constant, schedule, closed.
fn arrivals(at: &In, w: &Loc<RawWorkload>, field: &str) -> Result<Arrivals, SpecError> {
    let af = format!("{field}.arrivals");
    let Some(arr) = &w.value.arrivals else {
        return Err(at.err(
            Kind::Missing,
            w,
            field,
            "missing `arrivals`, e.g. arrivals = { poisson = \"50/s\" }",
        ));
    };
    let a = &arr.value;
    let given = [
        a.poisson.is_some(),
        a.constant.is_some(),
        a.schedule.is_some(),
        a.closed.is_some(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if given != 1 {
        let msg = "`arrivals` needs exactly one of `poisson`, `constant`, `schedule`, `closed`";
        return Err(at.err(
            if given == 0 {
                Kind::Missing
            } else {
                Kind::Invalid
            },
            arr,
            &af,
            msg,
        ));
    }
    Ok(if let Some(p) = &a.poisson {
        Arrivals::Poisson {
            rate: at.rate(p, &format!("{af}.poisson"), true)?,
        }
    } else if let Some(c) = &a.constant {
        Arrivals::Constant {
            rate: at.rate(c, &format!("{af}.constant"), true)?,
        }
    } else if let Some(sched) = &a.schedule {
        schedule(at, sched, &af)?
    } else if let Some(c) = &a.closed {
        let cf = format!("{af}.closed");
        let Some(users) = &c.value.users else {
            return Err(at.err(
                Kind::Missing,
                c,
                &cf,
                "missing `users`, e.g. closed = { users = 50, think = \"1s\" }",
            ));
        };
        let users = at.bounded(
            users,
            &format!("{cf}.users"),
            1,
            i64::from(limits::MAX_CLOSED_USERS),
            "every user is a client with a request or a think time pending",
        )? as u32;
        let think = at.dist_or_zero(&c.value.think, &format!("{cf}.think"))?;
        Arrivals::Closed { users, think }
    } else {
        return Err(at.err(Kind::Missing, arr, &af, "missing arrival process"));
    })
}

/// `arrivals.schedule`: `{ at, rate }` entries from "0s", strictly increasing, not all 0.
fn schedule(
    at: &In,
    sched: &Loc<Vec<Loc<RawScheduleEntry>>>,
    af: &str,
) -> Result<Arrivals, SpecError> {
    let sf = format!("{af}.schedule");
    if sched.value.is_empty() {
        return Err(at.err(
            Kind::Invalid,
            sched,
            &sf,
            "`schedule` needs at least one { at, rate } entry",
        ));
    }
    let mut out: Vec<(u64, f64)> = Vec::with_capacity(sched.value.len());
    for (j, e) in sched.value.iter().enumerate() {
        let ef = format!("{sf}[{j}]");
        let (Some(t), Some(rate)) = (&e.value.at, &e.value.rate) else {
            return Err(at.err(
                Kind::Missing,
                e,
                &ef,
                "each schedule entry needs `at` and `rate`, e.g. { at = \"1m\", rate = \"100/s\" }",
            ));
        };
        let tf = format!("{ef}.at");
        let time = at.duration(t, &tf)?;
        if j == 0 && time != 0 {
            return Err(at.err(
                Kind::Invalid,
                t,
                &tf,
                format!(
                    "the first schedule entry must be at \"0s\", got \"{}\"",
                    raw_text(t)
                ),
            ));
        }
        if let Some(&(prev, _)) = out.last() {
            if time <= prev {
                return Err(at.err(
                    Kind::Invalid,
                    t,
                    &tf,
                    "schedule times must be strictly increasing",
                ));
            }
        }
        out.push((time, at.rate(rate, &format!("{ef}.rate"), false)?));
    }
    if out.iter().all(|&(_, r)| r == 0.0) {
        return Err(at.err(
            Kind::Invalid,
            sched,
            &sf,
            "every rate in the schedule is 0; no request would arrive",
        ));
    }
    Ok(Arrivals::Schedule(out))
}

/// Every `[[workload]]`, in file order: at least one, flows named uniquely, and the
/// total of closed users bounded.
pub(crate) fn workloads(
    at: &In,
    names: &Names,
    raw: &[Loc<RawWorkload>],
) -> Result<Vec<Workload>, SpecError> {
    let (src, main) = (at.src, at.file);
    let mut workloads = Vec::new();
    let mut total_users = 0u32;
    for (i, w) in raw.iter().enumerate() {
        let wl = workload(at, names, w, i)?;
        if let crate::model::Arrivals::Closed { users, .. } = &wl.arrivals {
            total_users += users;
            if total_users > limits::MAX_CLOSED_USERS {
                let span = w
                    .value
                    .arrivals
                    .as_ref()
                    .and_then(|a| a.value.closed.as_ref())
                    .and_then(|c| c.value.users.as_ref())
                    .map_or(&w.span, |u| &u.span);
                let msg = format!(
                    "the closed workloads have {total_users} users so far, more than the {} allowed in total (every user is a client with a request or a think time pending)",
                    limits::MAX_CLOSED_USERS
                );
                let f = format!("workload[{i}].arrivals.closed.users");
                return Err(src.err(Kind::Invalid, main, span, &f, msg));
            }
        }
        if workloads.iter().any(|x: &Workload| x.flow == wl.flow) {
            let flow_span = w.value.flow.as_ref().map_or(&w.span, |f| &f.span);
            let msg = format!(
                "duplicate flow name \"{}\"; give each workload a unique `flow`",
                wl.flow
            );
            return Err(src.err(
                Kind::Duplicate,
                main,
                flow_span,
                &format!("workload[{i}].flow"),
                msg,
            ));
        }
        workloads.push(wl);
    }
    if workloads.is_empty() {
        return Err(src.err(
            Kind::Empty,
            main,
            &None,
            "workload",
            "no workloads; add at least one [[workload]] with `entry` and `arrivals`",
        ));
    }

    Ok(workloads)
}
