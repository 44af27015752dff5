//! Adaptive bitrate: fit the encoder to what the slowest live destination delivers.
//!
//! Signals, sampled four times a second for every live RTMP link: the backlog (bytes handed
//! to the link that the server has not acknowledged yet — queued in the link, in the socket or
//! in flight — in seconds of stream) and the delivered rate (bytes the server acknowledged per
//! second, from the kernel's TCP state). On congestion (a backlog over 0.3 s)
//! the target drops at once to 75 % of the best rate delivered while saturated, never below the
//! floor. After a second without congestion it climbs back 25 % a second up to what the link
//! was seen to carry (the ceiling). Above the ceiling it only *probes*: after the link has been
//! calm for a hold time (3 s, 4 s after a failed probe) it steps up and
//! watches; if the backlog grows within 1 s the step is taken back at once, otherwise the step
//! becomes the new ceiling and the next, larger probe follows (+10, +50, then +100 %,
//! like TCP's slow start); a step whose backlog creeps up is watched until it fails. So a link
//! that stays narrow is only nudged (a +10 % step every 5 s or so, taken back before 0.1 s
//! of queue), and one that widened is found again within 10 s.
//! Dropping frames stays the last resort (the links skip to the next keyframe beyond 2 s).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Backlog that counts as congestion.
const CONGESTED_S: f64 = 0.3;
/// Backlog below which the link counts as calm.
const CALM_S: f64 = 0.15;
/// Share of the delivered rate to aim for after a cut.
const CUT_TO: f64 = 0.75;
/// A cut when the queue grows although the target fits what the link seemed to deliver.
const FALLBACK_CUT: f64 = 0.85;
/// Time after a cut before another one: the backlog needs a moment to drain.
const CUT_COOLDOWN: Duration = Duration::from_secs(1);
/// How far back the delivered rate is remembered while the link is saturated: its capacity is
/// the second-best rate seen in this window (single samples dip while TCP recovers from a loss;
/// the best one may straddle the moment the link narrowed, or an ack burst).
const DELIVERED_WINDOW: Duration = Duration::from_secs(2);
/// Calm time before the first probe above the ceiling; doubled after each failed probe.
const HOLD: Duration = Duration::from_secs(3);
/// At most this long between probes of a link that stays narrow: a failed +10 % probe costs
/// at most 0.1 s of queue, and a link that widened is found within this plus three probes
/// (the network issue asks for 10 s).
const MAX_HOLD: Duration = Duration::from_secs(4);
/// Probe sizes: each probe that holds lets the next one be larger.
const PROBE_STEPS: [f64; 3] = [1.10, 1.5, 2.0];
/// How long a probe is watched, and the backlog growth (seconds of stream) that fails it.
const PROBE_WINDOW: Duration = Duration::from_millis(1000);
const PROBE_GROWTH_S: f64 = 0.1;
/// A probe holds only with the backlog within this of where it started; it is watched at most
/// this long.
const PROBE_SETTLED_S: f64 = 0.03;
const PROBE_MAX_WATCH: Duration = Duration::from_secs(6);
/// Calm time before (and between) steps up.
const STEP_EVERY: Duration = Duration::from_millis(1000);
const STEP_UP: f64 = 1.25;

/// A step above the ceiling under watch.
#[derive(Clone, Copy, Debug)]
struct Probe {
    from_kbps: u32,
    at: Instant,
    backlog_s: f64,
}

/// One link's signals for a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkSignal {
    /// Bytes handed to the link not yet written to the server.
    pub backlog_bytes: u64,
    /// Rate written to the server since the previous sample.
    pub delivered_kbps: f64,
}

/// The controller's state.
#[derive(Debug)]
pub struct Abr {
    configured_kbps: u32,
    floor_kbps: u32,
    audio_kbps: u32,
    target_kbps: u32,
    last_cut: Option<Instant>,
    calm_since: Option<Instant>,
    last_step: Option<Instant>,
    /// What the link is known to carry: steps up past it are probes.
    ceiling: Option<u32>,
    /// Calm time needed before the next probe.
    hold: Duration,
    probe: Option<Probe>,
    /// Index into `PROBE_STEPS` for the next probe.
    ladder: usize,
    /// The backlog (bytes) when the target was last cut: a further cut needs it to have grown.
    backlog_at_cut: f64,
    delivered: VecDeque<(Instant, f64)>,
    backlog_s: f64,
    /// Only watch the links (the bitrate is fixed): the backlog is still reported.
    measure_only: bool,
}

impl Abr {
    /// A controller for a stream configured at `configured_kbps` video.
    pub fn new(configured_kbps: u32, floor_kbps: u32, audio_kbps: u32) -> Self {
        Self {
            configured_kbps,
            floor_kbps: floor_kbps.min(configured_kbps),
            audio_kbps,
            target_kbps: configured_kbps,
            last_cut: None,
            calm_since: None,
            last_step: None,
            ceiling: None,
            hold: HOLD,
            probe: None,
            ladder: 0,
            backlog_at_cut: 0.0,
            delivered: VecDeque::new(),
            backlog_s: 0.0,
            measure_only: false,
        }
    }

    /// A controller that only measures: the bitrate stays fixed.
    pub fn fixed(configured_kbps: u32, audio_kbps: u32) -> Self {
        Self {
            measure_only: true,
            ..Self::new(configured_kbps, configured_kbps, audio_kbps)
        }
    }

    /// False for a controller that only measures.
    pub fn adapts(&self) -> bool {
        !self.measure_only
    }

    /// The video bitrate to encode at now.
    pub fn target_kbps(&self) -> u32 {
        self.target_kbps
    }

    /// 0 (no backlog) to 1 (two seconds or more queued), from the last sample.
    pub fn congestion(&self) -> f64 {
        (self.backlog_s / 2.0).clamp(0.0, 1.0)
    }

    /// The worst link's backlog at the last sample, in seconds of stream.
    pub fn backlog_s(&self) -> f64 {
        self.backlog_s
    }

    /// Takes a sample of every live link; returns the new target when it changed.
    pub fn update(&mut self, now: Instant, links: &[LinkSignal]) -> Option<u32> {
        let stream_kbps = f64::from(self.target_kbps + self.audio_kbps);
        let worst = links
            .iter()
            .map(|l| {
                (
                    l.backlog_bytes as f64 * 8.0 / 1000.0 / stream_kbps,
                    l.delivered_kbps,
                    l.backlog_bytes as f64,
                )
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let Some((backlog_s, delivered_kbps, backlog_bytes)) = worst else {
            self.backlog_s = 0.0;
            return None;
        };
        self.backlog_s = backlog_s;
        if self.measure_only {
            return None;
        }
        // Only a saturated link shows its capacity: below that, delivered is just our rate.
        if backlog_s < CALM_S {
            self.delivered.clear();
        } else {
            self.delivered.push_back((now, delivered_kbps));
        }
        while self
            .delivered
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > DELIVERED_WINDOW)
        {
            self.delivered.pop_front();
        }
        let capacity_kbps = second_best(self.delivered.iter().map(|(_, k)| *k));
        if backlog_s > CONGESTED_S {
            self.calm_since = None;
            let cooling = self
                .last_cut
                .is_some_and(|t| now.duration_since(t) < CUT_COOLDOWN);
            // After a cut the backlog drains; cut again only if it kept growing.
            // (In bytes: after a cut the same bytes are more seconds of the slower stream.)
            let draining = self.last_cut.is_some() && backlog_bytes < self.backlog_at_cut;
            if cooling || draining {
                return None;
            }
            if let Some(probe) = self.probe.take() {
                // A probe pushed the link into congestion (a large step): back to the rate it
                // started from, which the link carried, rather than a cut below it.
                self.fail_probe();
                self.target_kbps = probe.from_kbps;
                self.ceiling = Some(probe.from_kbps);
                self.last_cut = Some(now);
                self.last_step = Some(now);
                self.backlog_at_cut = backlog_bytes;
                return Some(probe.from_kbps);
            }
            let fits = (capacity_kbps * CUT_TO - f64::from(self.audio_kbps)).max(0.0) as u32;
            let by_capacity = fits.clamp(self.floor_kbps, self.configured_kbps);
            // The queue keeps growing although the target should fit: the link carries less
            // than it seemed to. Step down anyway.
            let new = if by_capacity < self.target_kbps {
                by_capacity
            } else {
                ((f64::from(self.target_kbps) * FALLBACK_CUT) as u32).max(self.floor_kbps)
            };
            if new < self.target_kbps {
                self.target_kbps = new;
                self.last_cut = Some(now);
                let carried = (capacity_kbps * 0.9 - f64::from(self.audio_kbps)).max(0.0) as u32;
                self.ceiling = Some(carried.max(new));
                self.backlog_at_cut = backlog_bytes;
                return Some(new);
            }
            return None;
        }
        if backlog_s < CONGESTED_S / 2.0 {
            self.backlog_at_cut = 0.0;
        }
        if let Some(probe) = self.probe {
            if backlog_s >= probe.backlog_s + PROBE_GROWTH_S {
                // The link did not take the step: back to what it carries, probe later.
                self.probe = None;
                self.fail_probe();
                self.target_kbps = probe.from_kbps;
                self.ceiling = Some(probe.from_kbps);
                self.calm_since = None;
                self.last_step = Some(now);
                return Some(probe.from_kbps);
            }
            // It holds once the window passed with the backlog back where it was; a backlog that
            // creeps up slowly (a step just past the link) is watched longer, until it fails.
            let watched = now.duration_since(probe.at);
            let settled = backlog_s <= probe.backlog_s + PROBE_SETTLED_S;
            if watched < PROBE_WINDOW || (!settled && watched < PROBE_MAX_WATCH) {
                return None;
            }
            // The step held: it is the new ceiling, and the next probe may follow.
            self.probe = None;
            self.hold = HOLD;
            self.ladder = (self.ladder + 1).min(PROBE_STEPS.len() - 1);
            self.ceiling = Some(self.target_kbps);
        }
        if backlog_s >= CALM_S || self.target_kbps >= self.configured_kbps {
            self.calm_since = None;
            if self.target_kbps >= self.configured_kbps {
                self.ceiling = None;
            }
            return None;
        }
        let calm_since = *self.calm_since.get_or_insert(now);
        let since_step = self
            .last_step
            .map_or(Duration::MAX, |t| now.duration_since(t));
        let calm_for = now.duration_since(calm_since);
        if calm_for < STEP_EVERY || since_step < STEP_EVERY {
            return None;
        }
        let stepped = ((f64::from(self.target_kbps) * STEP_UP) as u32).min(self.configured_kbps);
        let new = match self.ceiling {
            Some(ceiling) if self.target_kbps < ceiling => stepped.min(ceiling),
            Some(_) if calm_for < self.hold => return None,
            Some(_) => {
                self.probe = Some(Probe {
                    from_kbps: self.target_kbps,
                    at: now,
                    backlog_s,
                });
                ((f64::from(self.target_kbps) * PROBE_STEPS[self.ladder]) as u32)
                    .min(self.configured_kbps)
            }
            None => stepped,
        };
        if new <= self.target_kbps {
            return None;
        }
        self.target_kbps = new;
        self.last_step = Some(now);
        Some(new)
    }

    fn fail_probe(&mut self) {
        self.hold = (self.hold * 2).min(MAX_HOLD);
        self.ladder = 0;
    }
}

/// The largest value but one (the only value when there is one; 0 when none).
fn second_best(values: impl Iterator<Item = f64>) -> f64 {
    let (mut best, mut second) = (None::<f64>, None::<f64>);
    for v in values {
        match best {
            Some(b) if v <= b => second = Some(second.map_or(v, |s| s.max(v))),
            _ => {
                second = best;
                best = Some(v);
            }
        }
    }
    second.or(best).unwrap_or(0.0)
}

#[cfg(test)]
mod tests;
