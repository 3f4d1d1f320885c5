//! The timeline's per-interval service and queue levels, closed at every tick.

use super::{Engine, Event};
use crate::kernel::EventQueue;

impl Engine<'_> {
    /// Close the timeline interval ending now and schedule the next tick.
    pub(super) fn tick(&mut self, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let width = self.metrics.timeline.interval;
        let end = self.sc.sim.duration;
        let start = now.saturating_sub(1) / width * width;
        let span = (now - start).max(1) as f64;
        for s in 0..self.sc.services.len() {
            let m = &mut self.metrics.services[s];
            let busy = m.busy.lifetime_area(now);
            let queued = m.queued.lifetime_area(now);
            let capacity = m.capacity as f64;
            let (last_busy, last_queued) = self.tick_areas[s];
            self.tick_areas[s] = (busy, queued);
            let iv = self.metrics.timeline.service_at(s, now.saturating_sub(1));
            iv.utilization = (busy - last_busy) as f64 / span / capacity;
            iv.queue = (queued - last_queued) as f64 / span;
        }
        self.tick_scaling(span);
        for q in 0..self.sc.queues.len() {
            let area = self.metrics.queues[q].depth.lifetime_area(now);
            let last = self.tick_queue_areas[q];
            self.tick_queue_areas[q] = area;
            let len = self.metrics.timeline.queues[q].len();
            let i = self.metrics.timeline.index(now.saturating_sub(1), len);
            self.metrics.timeline.queues[q][i] = (area - last) as f64 / span;
        }
        if now < end {
            queue.schedule(now.saturating_add(width).min(end), Event::Tick);
        }
    }
}
