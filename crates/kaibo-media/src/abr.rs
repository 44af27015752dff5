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
mod tests {
    use super::*;

    fn sig(backlog_bytes: u64, delivered_kbps: f64) -> [LinkSignal; 1] {
        [LinkSignal {
            backlog_bytes,
            delivered_kbps,
        }]
    }

    #[test]
    fn congestion_cuts_fast_to_what_the_link_delivers() {
        let t0 = Instant::now();
        let mut abr = Abr::new(2500, 300, 128);
        assert_eq!(abr.update(t0, &sig(10_000, 1400.0)), None);
        // 1.4 Mbit/s delivered, a second of stream queued.
        let cut = abr.update(t0 + Duration::from_millis(500), &sig(330_000, 1400.0));
        assert_eq!(cut, Some(922));
        assert!(abr.congestion() > 0.4);
        // Still queued right after: no second cut inside the cooldown.
        assert_eq!(
            abr.update(t0 + Duration::from_millis(900), &sig(300_000, 1400.0)),
            None
        );
        // Draining after the cooldown, with a dip in the delivered rate: no panic cut.
        assert_eq!(
            abr.update(t0 + Duration::from_millis(1600), &sig(250_000, 300.0)),
            None
        );
        // Growing again beyond the last cut although 922 fits the recent 1400 kbps (the dip
        // does not count): the link carries less than it seemed, so step down 15 %.
        let again = abr.update(t0 + Duration::from_millis(2100), &sig(700_000, 1000.0));
        assert_eq!(again, Some(783));
        let later = abr.update(t0 + Duration::from_millis(4200), &sig(900_000, 900.0));
        assert_eq!(
            later,
            Some(547),
            "the window forgot 1400 kbps: 0.75 × 900 − 128"
        );
    }

    #[test]
    fn a_sample_straddling_the_narrowing_does_not_set_the_capacity() {
        let t0 = Instant::now();
        let mut abr = Abr::new(2500, 300, 128);
        // The first saturated sample still holds the wide link's rate; the next one is true.
        assert_eq!(abr.update(t0, &sig(60_000, 2600.0)), None);
        let cut = abr.update(t0 + Duration::from_millis(250), &sig(150_000, 1400.0));
        assert_eq!(cut, Some(922), "0.75 × 1400 − 128, not from 2600");
    }

    #[test]
    fn a_probe_that_congests_the_link_goes_back_to_where_it_started() {
        let t0 = Instant::now();
        let mut abr = Abr::new(2500, 300, 128);
        abr.target_kbps = 1200;
        abr.ceiling = Some(1200);
        abr.probe = Some(Probe {
            from_kbps: 1200,
            at: t0,
            backlog_s: 0.0,
        });
        abr.target_kbps = 1800;
        // A quarter second later the queue is past congestion: the step is taken back, not
        // cut below what the link carried before it.
        let back = abr.update(t0 + Duration::from_millis(250), &sig(90_000, 1400.0));
        assert_eq!(back, Some(1200));
        assert_eq!(abr.ceiling, Some(1200));
        assert!(abr.probe.is_none());
        assert_eq!(abr.hold, MAX_HOLD.min(HOLD * 2));
    }

    #[test]
    fn never_below_the_floor() {
        let mut abr = Abr::new(2500, 300, 128);
        assert_eq!(
            abr.update(Instant::now(), &sig(2_000_000, 200.0)),
            Some(300)
        );
    }

    #[test]
    fn recovers_in_steps_to_the_configured_rate() {
        let t0 = Instant::now();
        let mut abr = Abr::new(2500, 300, 128);
        abr.update(t0, &sig(400_000, 1400.0));
        let mut t = t0;
        let mut steps = Vec::new();
        for _ in 0..40 {
            t += Duration::from_millis(500);
            if let Some(k) = abr.update(t, &sig(0, 3000.0)) {
                steps.push((k, t.duration_since(t0).as_secs_f64()));
            }
        }
        assert_eq!(steps.last().map(|s| s.0), Some(2500), "{steps:?}");
        assert!(steps.windows(2).all(|w| w[1].0 > w[0].0), "{steps:?}");
        // Up to the ceiling at once, a 3 s hold, then growing probes every 2 s.
        assert!(
            steps.last().map(|s| s.1).unwrap_or(99.0) <= 10.0,
            "{steps:?}"
        );
    }

    /// A link of `capacity` kbit/s fed at the target plus audio, sampled every 0.25 s: the
    /// backlog grows by what does not fit and drains by what does.
    struct Link {
        capacity_kbps: f64,
        backlog_bytes: f64,
    }

    impl Link {
        fn sample(&mut self, abr: &Abr) -> [LinkSignal; 1] {
            let offered = f64::from(abr.target_kbps() + abr.audio_kbps);
            let queued = self.backlog_bytes * 8.0 / 1000.0 / 0.25;
            let delivered = (offered + queued).min(self.capacity_kbps);
            self.backlog_bytes =
                (self.backlog_bytes + (offered - delivered) * 1000.0 / 8.0 * 0.25).max(0.0);
            sig(self.backlog_bytes as u64, delivered)
        }
    }

    #[test]
    fn a_link_that_stays_narrow_is_only_nudged_and_a_widened_one_found_fast() {
        let t0 = Instant::now();
        let mut abr = Abr::new(2500, 300, 128);
        let mut link = Link {
            capacity_kbps: 1500.0,
            backlog_bytes: 0.0,
        };
        let mut over = Vec::new();
        let (mut probes, mut peak) = (0, 0.0f64);
        for i in 1..=(180 * 4) {
            let now = t0 + Duration::from_millis(250 * i);
            let before = abr.target_kbps();
            abr.update(now, &link.sample(&abr));
            if abr.target_kbps() > before && abr.probe.is_some() {
                probes += 1;
            }
            // Past the first 10 s (the cut and the drain), count the quarter seconds over.
            // A failed probe is taken back before the queue counts as congestion.
            assert!(
                i <= 40 || abr.backlog_s() < CONGESTED_S,
                "a probe congested the link at {} s",
                i / 4
            );
            let sent = abr.target_kbps() + abr.audio_kbps;
            if i > 40 && sent > 1500 {
                over.push(i);
            }
            if i > 40 {
                peak = peak.max(abr.backlog_s());
            }
        }
        // Holds of 3 and then 4 s between failed probes. A step barely past the link is
        // watched until its queue has grown by 0.1 s, so the stream is a little over the link
        // for a while (at most a quarter of the time here), but the queue it leaves stays
        // small and never counts as congestion (asserted above).
        assert!((10..=40).contains(&probes), "{probes} probes");
        assert!(
            over.len() * 100 <= 170 * 4 * 25,
            "over the link {} of 680",
            over.len()
        );
        assert!(
            peak <= CALM_S + PROBE_GROWTH_S + 0.05,
            "peak queue {peak:.2} s"
        );
        assert!(abr.backlog_s() < CONGESTED_S, "{}", abr.backlog_s());

        // The link widens: found again within the longest hold and three growing probes.
        link.capacity_kbps = 6000.0;
        let widened = t0 + Duration::from_secs(180);
        let mut reached = None;
        for i in 1..=(90 * 4) {
            let now = widened + Duration::from_millis(250 * i);
            abr.update(now, &link.sample(&abr));
            if abr.target_kbps() == 2500 {
                reached = Some(now.duration_since(widened));
                break;
            }
        }
        let reached = reached.expect("climbs back to the configured rate");
        assert!(reached <= MAX_HOLD + Duration::from_secs(4), "{reached:?}");
    }

    #[test]
    fn the_slowest_link_decides() {
        let mut abr = Abr::new(2500, 300, 128);
        let links = [
            LinkSignal {
                backlog_bytes: 0,
                delivered_kbps: 2600.0,
            },
            LinkSignal {
                backlog_bytes: 500_000,
                delivered_kbps: 1000.0,
            },
        ];
        assert_eq!(abr.update(Instant::now(), &links), Some(622));
    }
}
