//! Asynchronous messaging: publishing through brokers, queues with competing consumers,
//! topic fan-out, at-least-once delivery (ack after processing, redelivery, dead
//! letters), broker outages, and request-reply with correlation and reply timeouts.
//!
//! Every message and every pending request-reply counts as outstanding work of its
//! root request; the request *completes* when that count returns to zero.

use super::slab::{Handle, Slab};
use super::{Engine, Event, Parent, NO_DEADLINE, NO_SPAN};
use crate::kernel::{EventQueue, RngStream, SimTime};
use crate::metrics::{Component, FailureReason, Outcome};
use crate::model::{BrokerId, MessageKind, OpId, QueueId, Scenario};
use std::collections::VecDeque;

const PUBLISH: u64 = 20;
const DELIVERY: u64 = 21;

struct BrokerState {
    /// Active outages.
    down: u32,
    /// When the broker's intake is next free (throughput capacity).
    intake_free: SimTime,
    publish: RngStream,
    delivery: RngStream,
}

struct Partition {
    ready: VecDeque<Handle>,
    /// Messages being processed (delivered, not yet acked or failed).
    in_flight: u32,
    /// Ordered queues: when the last message on its way becomes ready (a partition's
    /// messages reach its consumer in publish order).
    last_ready: SimTime,
}

struct QueueState {
    partitions: Vec<Partition>,
    /// Deliveries in flight allowed per partition.
    limit: u32,
}

struct Message {
    queue: u32,
    partition: u32,
    root: Handle,
    /// Deliveries so far.
    deliveries: u32,
    /// Number of the current delivery (acks of older ones are stale).
    delivery: u32,
    in_flight: bool,
    started: bool,
    reply_to: Option<Handle>,
    published: SimTime,
    /// Trace span (`NO_SPAN` unless its request is traced).
    span: u32,
}

pub(super) struct PendingRequest {
    pub(super) root: Handle,
    pub(super) then: OpId,
    pub(super) on_timeout: Option<OpId>,
    /// Trace span of the request message, then of the consumer that replied.
    pub(super) span: u32,
}

/// The messaging state of one replication.
pub(super) struct Messaging {
    brokers: Vec<BrokerState>,
    queues: Vec<QueueState>,
    messages: Slab<Message>,
    pub(super) pending: Slab<PendingRequest>,
}

impl Messaging {
    /// Messages in flight (waiting, in transit or being processed) and request-replies
    /// waiting for their reply.
    pub fn in_flight(&self) -> usize {
        self.messages.len() + self.pending.len()
    }

    pub fn new(sc: &Scenario, key: &impl Fn(&str, u64) -> RngStream) -> Self {
        Messaging {
            brokers: sc
                .brokers
                .iter()
                .map(|b| {
                    let name = format!("broker:{}", b.name);
                    BrokerState {
                        down: 0,
                        intake_free: 0,
                        publish: key(&name, PUBLISH),
                        delivery: key(&name, DELIVERY),
                    }
                })
                .collect(),
            queues: sc
                .queues
                .iter()
                .map(|q| {
                    let (n, limit) = if q.ordered {
                        (q.concurrency, 1)
                    } else {
                        (1, q.concurrency)
                    };
                    QueueState {
                        partitions: (0..n)
                            .map(|_| Partition {
                                ready: VecDeque::new(),
                                in_flight: 0,
                                last_ready: 0,
                            })
                            .collect(),
                        limit,
                    }
                })
                .collect(),
            messages: Slab::new(),
            pending: Slab::new(),
        }
    }

    /// Messages alive (queued, in delivery or waiting for redelivery).
    pub fn live_messages(&self) -> usize {
        self.messages.len()
    }

    /// The queue message `msg` belongs to, if it is still alive.
    pub fn queue_of(&self, msg: Handle) -> Option<u32> {
        self.messages.get(msg).map(|m| m.queue)
    }

    /// The continuation of pending request-reply `pending`, if it is still waiting.
    pub fn continuation_of(&self, pending: Handle) -> Option<OpId> {
        self.pending.get(pending).map(|p| p.then)
    }
}

impl Engine<'_> {
    /// The counters of queue `q` for a message published at `published`, if it belongs
    /// to the measured cohort (published after the warm-up): every count of a queue
    /// refers to the same messages, so acked + dead-lettered + lost <= published.
    fn cohort(
        &mut self,
        q: usize,
        published: SimTime,
    ) -> Option<&mut crate::metrics::QueueMetrics> {
        (published >= self.sc.sim.warmup).then(|| &mut self.metrics.queues[q])
    }

    /// The broker a message step goes through (none for an orchestrated saga).
    fn broker_of(&self, kind: MessageKind) -> Option<BrokerId> {
        match kind {
            MessageKind::Send(q) | MessageKind::Request { queue: q, .. } => {
                Some(self.sc.queues[q.0 as usize].broker)
            }
            MessageKind::Publish(t) => Some(self.sc.topics[t.0 as usize].broker),
            MessageKind::StartSaga(s) => match self.sc.sagas[s.0 as usize].style {
                crate::model::SagaStyle::Choreography { broker } => Some(broker),
                crate::model::SagaStyle::Orchestration { .. } => None,
            },
        }
    }

    /// Start message step `index` of group `group` of `exec`: publish, wait for the ack.
    pub(super) fn start_message_step(
        &mut self,
        exec: Handle,
        group: u32,
        index: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let op = self.execs.get(exec).expect("live execution").op;
        let step =
            self.sc.operations[op.0 as usize].groups[group as usize].messages[index as usize];
        let Some(b) = self.broker_of(step.kind) else {
            // An orchestrated saga starts at once on the coordinator.
            self.on_publish_ack(exec, group, index, queue);
            return;
        };
        let broker = &self.sc.brokers[b.0 as usize];
        let state = &mut self.msgs.brokers[b.0 as usize];
        if state.down > 0 {
            let outcome = Outcome::Failed(FailureReason::ConnectionError, Component::Broker(b));
            self.complete(exec, outcome, queue);
            return;
        }
        let mut accept = self.now.max(state.intake_free);
        if let Some(cap) = broker.capacity {
            accept = accept.saturating_add((1e9 / cap).round() as SimTime);
            state.intake_free = accept;
        }
        let ack = accept.saturating_add(broker.publish_latency.sample(&mut state.publish));
        queue.schedule(ack, Event::PublishAck { exec, group, index });
    }

    /// The broker acknowledged a publish: the messages exist, the step is done.
    pub(super) fn on_publish_ack(
        &mut self,
        exec: Handle,
        group: u32,
        index: u32,
        queue: &mut EventQueue<Event>,
    ) {
        // A publisher that died before the ack never committed its message.
        let Some(e) = self.execs.get(exec) else {
            return;
        };
        if e.group != group {
            return;
        }
        let (op, root, span) = (e.op, e.root, e.span);
        let kind =
            self.sc.operations[op.0 as usize].groups[group as usize].messages[index as usize].kind;
        if let Some(b) = self
            .broker_of(kind)
            .filter(|b| self.msgs.brokers[b.0 as usize].down > 0)
        {
            let outcome = Outcome::Failed(FailureReason::ConnectionError, Component::Broker(b));
            self.complete(exec, outcome, queue);
            return;
        }
        match kind {
            MessageKind::Send(q) => {
                self.enqueue(q, root, None, span, queue);
            }
            MessageKind::Publish(t) => {
                for &q in &self.sc.topics[t.0 as usize].subscriptions {
                    self.enqueue(q, root, None, span, queue);
                }
            }
            MessageKind::Request {
                queue: q,
                reply_timeout,
                then,
                on_timeout,
            } => {
                let req = PendingRequest {
                    root,
                    then,
                    on_timeout,
                    span: NO_SPAN,
                };
                let pending = self.msgs.pending.insert(req);
                self.add_outstanding(root, 1);
                queue.schedule(
                    self.now.saturating_add(reply_timeout),
                    Event::ReplyTimeout { pending },
                );
                let msg_span = self.enqueue(q, root, Some(pending), span, queue);
                self.msgs
                    .pending
                    .get_mut(pending)
                    .expect("just inserted")
                    .span = msg_span;
            }
            MessageKind::StartSaga(saga) => self.start_saga(saga, root, span, queue),
        }
        self.site_succeeded(exec, queue);
    }

    /// Put a message for `root` on queue `q`, published by the execution with trace span
    /// `publisher`; returns the message's trace span.
    fn enqueue(
        &mut self,
        q: QueueId,
        root: Handle,
        reply_to: Option<Handle>,
        publisher: u32,
        queue: &mut EventQueue<Event>,
    ) -> u32 {
        let span = self.trace_message(q, root, publisher);
        let qs = &self.msgs.queues[q.0 as usize];
        // The ordering key is the request: all its messages share a partition.
        let key = self.roots.get(root).map_or(0, |r| r.ordinal);
        let partition = (key % qs.partitions.len() as u64) as u32;
        let m = Message {
            queue: q.0,
            partition,
            root,
            deliveries: 0,
            delivery: 0,
            in_flight: false,
            started: false,
            reply_to,
            published: self.now,
            span,
        };
        let msg = self.msgs.messages.insert(m);
        self.add_outstanding(root, 1);
        self.metrics.conservation.messages_published += 1;
        self.metrics.queues[q.0 as usize].published += 1;
        // The delivery latency passes before the message is ready for a consumer: it
        // holds no consumer slot (`concurrency` counts messages being processed).
        let at = self.delivery_at(q.0, partition);
        if at > self.now {
            queue.schedule(at, Event::Requeue { msg });
            return span;
        }
        self.metrics.queues[q.0 as usize].depth.add(self.now, 1);
        self.msgs.queues[q.0 as usize].partitions[partition as usize]
            .ready
            .push_back(msg);
        self.dispatch(q.0, partition, queue);
        span
    }

    /// When a message sent to the consumers of partition `p` of queue `q` now reaches
    /// them: after the broker's delivery latency, and in order on an ordered queue.
    fn delivery_at(&mut self, q: u32, p: u32) -> SimTime {
        let def = &self.sc.queues[q as usize];
        let b = def.broker.0 as usize;
        let latency = self.sc.brokers[b]
            .delivery_latency
            .sample(&mut self.msgs.brokers[b].delivery);
        let mut at = self.now.saturating_add(latency);
        if def.ordered {
            let part = &mut self.msgs.queues[q as usize].partitions[p as usize];
            at = at.max(part.last_ready);
            part.last_ready = at;
        }
        at
    }

    /// Open a trace span for a message published by a traced execution.
    fn trace_message(&mut self, q: QueueId, root: Handle, publisher: u32) -> u32 {
        let Some(tracer) = self.tracer.as_deref_mut() else {
            return NO_SPAN;
        };
        if publisher == NO_SPAN {
            return NO_SPAN;
        }
        let Some(r) = self.roots.get_mut(root).filter(|r| r.traced) else {
            return NO_SPAN;
        };
        tracer.open_message(q.0, publisher, &mut r.chain, self.now)
    }

    /// A message's trace span, if traced.
    pub(super) fn msg_span(&self, msg: Handle) -> u32 {
        self.msgs.messages.get(msg).map_or(NO_SPAN, |m| m.span)
    }

    /// Close a message's trace span: acked, dead-lettered or lost.
    fn trace_message_end(&mut self, span: u32, outcome: Outcome) {
        if let Some(tracer) = self.tracer.as_deref_mut() {
            if span != NO_SPAN {
                tracer.close(span, self.now, Some(outcome));
            }
        }
    }

    /// Hand ready messages of a partition to consumers while there is room.
    fn dispatch(&mut self, q: u32, p: u32, queue: &mut EventQueue<Event>) {
        let def = &self.sc.queues[q as usize];
        let b = def.broker.0 as usize;
        // No delivery while the broker is down or no consumer is connected (every
        // replica of the consumer service crashed): the backlog builds up.
        if self.msgs.brokers[b].down > 0 || !self.consumer_connected(def.consumer) {
            return;
        }
        let now = self.now;
        loop {
            let qs = &mut self.msgs.queues[q as usize];
            let limit = qs.limit;
            let part = &mut qs.partitions[p as usize];
            if part.in_flight >= limit {
                return;
            }
            let Some(msg) = part.ready.pop_front() else {
                return;
            };
            part.in_flight += 1;
            let m = self
                .msgs
                .messages
                .get_mut(msg)
                .expect("ready message is live");
            m.delivery += 1;
            m.deliveries += 1;
            m.in_flight = true;
            let (delivery, first, published) = (m.delivery, m.deliveries == 1, m.published);
            let warmup = self.sc.sim.warmup;
            let qm = &mut self.metrics.queues[q as usize];
            qm.depth.add(now, -1);
            if published >= warmup {
                qm.delivered += 1;
                if first {
                    qm.first_deliveries += 1;
                    qm.wait_sum += (now - published) as u128;
                }
            }
            queue.schedule(now, Event::Consume { msg, delivery });
            if let Some(t) = def.ack_timeout {
                queue.schedule(now.saturating_add(t), Event::AckTimeout { msg, delivery });
            }
        }
    }

    /// Whether `delivery` is the current, unacknowledged delivery of `msg`.
    fn current(&self, msg: Handle, delivery: u32) -> bool {
        self.msgs
            .messages
            .get(msg)
            .is_some_and(|m| m.in_flight && m.delivery == delivery)
    }

    /// A message reaches a consumer: it becomes an execution of the consumer operation.
    pub(super) fn on_consume(&mut self, msg: Handle, delivery: u32, queue: &mut EventQueue<Event>) {
        if !self.current(msg, delivery) {
            return;
        }
        let m = self.msgs.messages.get_mut(msg).expect("current message");
        let (q, root, published) = (m.queue as usize, m.root, m.published);
        let duplicate = m.started;
        m.started = true;
        if duplicate {
            if let Some(qm) = self.cohort(q, published) {
                qm.duplicates += 1;
            }
        }
        let op = self.sc.queues[q].consumer;
        let Some(replica) = self.consumer_replica(op) else {
            self.nack(msg, queue); // every consumer went away while the message travelled
            return;
        };
        if self
            .admit(
                op,
                replica,
                Parent::Delivery { msg, delivery },
                root,
                NO_DEADLINE,
                queue,
            )
            .is_err()
        {
            self.nack(msg, queue);
        }
    }

    /// A consumer execution finished.
    pub(super) fn consumer_done(
        &mut self,
        msg: Handle,
        delivery: u32,
        outcome: Outcome,
        consumer_span: u32,
        queue: &mut EventQueue<Event>,
    ) {
        if !self.current(msg, delivery) {
            return; // a duplicate finishing after its message was redelivered or lost
        }
        let m = self.msgs.messages.get(msg).expect("current message");
        let q = m.queue as usize;
        if self.msgs.brokers[self.sc.queues[q].broker.0 as usize].down > 0 {
            // The ack cannot reach the broker: the message will be delivered again.
            self.nack(msg, queue);
            return;
        }
        if matches!(outcome, Outcome::Failed(..)) {
            self.nack(msg, queue);
            return;
        }
        let (p, root, reply_to, span) = (m.partition, m.root, m.reply_to, m.span);
        let published = m.published;
        self.msgs.queues[q].partitions[p as usize].in_flight -= 1;
        self.msgs.messages.remove(msg);
        self.trace_message_end(span, Outcome::Ok);
        let now = self.now;
        if let Some(qm) = self.cohort(q, published) {
            qm.acked += 1;
            qm.delivery.record(now - published);
        }
        self.metrics.conservation.messages_acked += 1;
        if let Some(pending) = reply_to {
            if consumer_span != NO_SPAN {
                if let Some(p) = self.msgs.pending.get_mut(pending) {
                    p.span = consumer_span; // the continuation follows from the reply
                }
            }
            let b = self.sc.queues[q].broker.0 as usize;
            let latency = self.sc.brokers[b]
                .delivery_latency
                .sample(&mut self.msgs.brokers[b].delivery);
            queue.schedule(
                self.now.saturating_add(latency),
                Event::ReplyArrive { pending },
            );
        }
        self.root_done(root, false, queue);
        self.dispatch(q as u32, p, queue);
    }

    /// Processing failed (error, crash, rejection, ack timeout): deliver again later, or
    /// dead-letter after `max_deliveries`.
    pub(super) fn nack(&mut self, msg: Handle, queue: &mut EventQueue<Event>) {
        let m = self.msgs.messages.get_mut(msg).expect("live message");
        m.in_flight = false;
        let (q, p, root, deliveries) = (m.queue as usize, m.partition, m.root, m.deliveries);
        let published = m.published;
        self.msgs.queues[q].partitions[p as usize].in_flight -= 1;
        let def = &self.sc.queues[q];
        if deliveries >= def.max_deliveries {
            let span = self.msg_span(msg);
            self.msgs.messages.remove(msg);
            let dead = Outcome::Failed(FailureReason::DeadLettered, Component::Broker(def.broker));
            self.trace_message_end(span, dead);
            if let Some(qm) = self.cohort(q, published) {
                qm.dead_lettered += 1;
            }
            self.metrics.conservation.messages_dead_lettered += 1;
            self.root_done(root, true, queue);
        } else {
            if let Some(qm) = self.cohort(q, published) {
                qm.redeliveries += 1;
            }
            let delay = self.sc.brokers[def.broker.0 as usize].redelivery_delay;
            // Redelivered after the delay, then on its way to a consumer again.
            let at = self.delivery_at(q as u32, p).saturating_add(delay);
            queue.schedule(at, Event::Requeue { msg });
        }
        self.dispatch(q as u32, p, queue);
    }

    pub(super) fn on_ack_timeout(
        &mut self,
        msg: Handle,
        delivery: u32,
        queue: &mut EventQueue<Event>,
    ) {
        if self.current(msg, delivery) {
            // The running consumer goes on; its ack will be stale.
            self.nack(msg, queue);
        }
    }

    pub(super) fn on_requeue(&mut self, msg: Handle, queue: &mut EventQueue<Event>) {
        let Some(m) = self.msgs.messages.get(msg) else {
            return;
        }; // lost meanwhile
        let (q, p) = (m.queue, m.partition);
        let part = &mut self.msgs.queues[q as usize].partitions[p as usize];
        if self.sc.queues[q as usize].ordered && m.deliveries > 0 {
            part.ready.push_front(msg); // keep the key's order
        } else {
            part.ready.push_back(msg);
        }
        self.metrics.queues[q as usize].depth.add(self.now, 1);
        self.dispatch(q, p, queue);
    }

    /// A broker crash: non-durable queues lose every message.
    pub(super) fn broker_crash(&mut self, b: BrokerId, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let victims: Vec<Handle> = self
            .msgs
            .messages
            .handles()
            .filter(|&h| {
                let q = self.msgs.messages.get(h).expect("live").queue as usize;
                self.sc.queues[q].broker == b && !self.sc.queues[q].durable
            })
            .collect();
        for msg in victims {
            let m = self.msgs.messages.get(msg).expect("live");
            let (q, p, root, in_flight) =
                (m.queue as usize, m.partition as usize, m.root, m.in_flight);
            let published = m.published;
            let part = &mut self.msgs.queues[q].partitions[p];
            if in_flight {
                part.in_flight -= 1;
            } else if let Some(pos) = part.ready.iter().position(|&h| h == msg) {
                part.ready.remove(pos);
                self.metrics.queues[q].depth.add(now, -1);
            }
            // (a message waiting for redelivery is in neither list: its Requeue finds it gone)
            let span = self.msg_span(msg);
            self.msgs.messages.remove(msg);
            let lost = Outcome::Failed(FailureReason::LostMessage, Component::Broker(b));
            self.trace_message_end(span, lost);
            if let Some(qm) = self.cohort(q, published) {
                qm.lost += 1;
            }
            self.metrics.conservation.messages_lost += 1;
            self.root_done(root, true, queue);
        }
    }

    /// A broker is back: resume deliveries.
    pub(super) fn broker_restart(&mut self, b: BrokerId, queue: &mut EventQueue<Event>) {
        for q in 0..self.sc.queues.len() {
            if self.sc.queues[q].broker == b {
                for p in 0..self.msgs.queues[q].partitions.len() {
                    self.dispatch(q as u32, p as u32, queue);
                }
            }
        }
    }

    /// Whether some replica of the consumer's service is up (connected to the broker).
    fn consumer_connected(&self, op: OpId) -> bool {
        let service = self.sc.operations[op.0 as usize].service.0 as usize;
        let base = self.replica_base[service] as usize;
        let n = self.sc.services[service].replicas as usize;
        (self.replicas[base..base + n].iter()).any(|r| r.crashed == 0 && r.serving())
    }

    /// A live replica to consume with: the balancer's choice, or the next one up if that
    /// one is down (a crashed consumer is disconnected from the broker).
    fn consumer_replica(&mut self, op: OpId) -> Option<u32> {
        let service = self.sc.operations[op.0 as usize].service;
        let n = self.sc.services[service.0 as usize].replicas;
        let base = self.replica_base[service.0 as usize];
        let first = self.pick_replica(service) - base;
        (0..n).map(|k| base + (first + k) % n).find(|&r| {
            let r = &self.replicas[r as usize];
            r.crashed == 0 && r.serving()
        })
    }

    /// A consumer replica restarted: resume deliveries of the queues it consumes.
    pub(super) fn consumer_restart(
        &mut self,
        service: crate::model::ServiceId,
        queue: &mut EventQueue<Event>,
    ) {
        for q in 0..self.sc.queues.len() {
            let op = self.sc.queues[q].consumer;
            if self.sc.operations[op.0 as usize].service == service {
                for p in 0..self.msgs.queues[q].partitions.len() {
                    self.dispatch(q as u32, p as u32, queue);
                }
            }
        }
    }

    /// Whether broker `b` is down.
    pub(super) fn broker_down(&mut self, b: BrokerId) -> &mut u32 {
        &mut self.msgs.brokers[b.0 as usize].down
    }
}
