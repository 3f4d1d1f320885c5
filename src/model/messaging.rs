//! Asynchronous messaging: brokers, queues (competing consumers), topics (one queue per
//! subscription) and the message steps that use them.

use super::{Dist, OpId};
use crate::kernel::SimTime;

/// Index of a broker in [`super::Scenario::brokers`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct BrokerId(pub u32);

/// Index of a queue in [`super::Scenario::queues`] (topic subscriptions are queues too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(pub u32);

/// Index of a topic in [`super::Scenario::topics`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicId(pub u32);

/// A message broker (RabbitMQ-like or Kafka-like).
#[derive(Clone, Debug)]
pub struct Broker {
    /// Unique name (shares the namespace of services).
    pub name: String,
    /// Publisher -> broker -> publisher ack, including the network.
    pub publish_latency: Dist,
    /// Broker -> consumer, including the network.
    pub delivery_latency: Dist,
    /// Messages accepted per second (a single FIFO intake); `None`: unlimited.
    pub capacity: Option<f64>,
    /// Delay before a nacked or timed-out message is delivered again.
    pub redelivery_delay: SimTime,
}

/// A queue with a consumer group (competing consumers: each message is processed by one).
#[derive(Clone, Debug)]
pub struct Queue {
    /// "broker.queue", or "broker.topic/service.operation" for a topic subscription.
    pub name: String,
    /// Hosting broker.
    pub broker: BrokerId,
    /// Survives a broker crash (non-durable contents are lost).
    pub durable: bool,
    /// The operation that processes each message.
    pub consumer: OpId,
    /// Messages delivered and not yet acknowledged, at most (consumers x prefetch).
    pub concurrency: u32,
    /// After this many deliveries a failing message goes to the dead-letter queue.
    pub max_deliveries: u32,
    /// Redeliver a message not acknowledged within this time (the first processing goes
    /// on: a duplicate). `None`: wait forever.
    pub ack_timeout: Option<SimTime>,
    /// Per-key FIFO (Kafka-like partitions): messages of one request are delivered one at
    /// a time, in order; `concurrency` partitions.
    pub ordered: bool,
}

/// A pub/sub topic: every subscription gets its own copy of each message.
#[derive(Clone, Debug)]
pub struct Topic {
    /// "broker.topic".
    pub name: String,
    /// Hosting broker.
    pub broker: BrokerId,
    /// One queue per subscriber.
    pub subscriptions: Vec<QueueId>,
}

/// What a message step does.
#[derive(Clone, Copy, Debug)]
pub enum MessageKind {
    /// Point-to-point: one consumer of the queue processes it.
    Send(QueueId),
    /// Fan-out: every subscription of the topic gets a copy.
    Publish(TopicId),
    /// Asynchronous request-reply: the consumer's success is a reply, which runs `then`
    /// on its service; no reply within `reply_timeout` runs `on_timeout` instead (if any)
    /// and marks the request's completion failed.
    Request {
        /// The request queue.
        queue: QueueId,
        /// How long to wait for the reply.
        reply_timeout: SimTime,
        /// Continuation run with the reply.
        then: OpId,
        /// Continuation run on a reply timeout.
        on_timeout: Option<OpId>,
    },
    /// Start an instance of a saga; the step is done once the saga has started (its
    /// first command sent or first event published), not when it settles.
    StartSaga(super::SagaId),
}

/// A message step: the caller holds its worker only until the broker acknowledges the
/// publish.
#[derive(Clone, Copy, Debug)]
pub struct MessageStep {
    /// Send, publish or request.
    pub kind: MessageKind,
}
