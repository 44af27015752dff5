//! The session pipeline's bus: errors (an output's, or the session's), warnings, the end of
//! stream, wake-ups, sound levels for the monitor, latency and state changes.

use super::{Engine, EngineEvent};
use crate::error::{MediaError, classify};
use gst::prelude::*;
use kaibo_model::AudioLevel;

impl Engine {
    pub(super) fn handle(&mut self, msg: &gst::Message) -> Option<EngineEvent> {
        use gst::MessageView;
        match msg.view() {
            MessageView::Error(err) => {
                let element = msg
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                let text = err.error().to_string();
                let output = self.output_of(&element);
                let label = output.map(|i| self.slots[i].output.label().clone());
                let (kind, message) = classify(&element, &text, label.as_ref(), false);
                let error = MediaError::Stream {
                    kind,
                    element,
                    message: self.scrub(&message),
                    detail: self.scrub(&format!("{text} ({})", err.debug().unwrap_or_default())),
                };
                match output {
                    Some(i) => Some(self.output_failed(i, error)),
                    None => {
                        self.dump_graph("error");
                        Some(EngineEvent::Failed(error))
                    }
                }
            }
            MessageView::Warning(w) => {
                let from = msg
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                log::warn!("{}", self.scrub(&format!("{from}: {}", w.error())));
                None
            }
            MessageView::Eos(_) => Some(EngineEvent::Finished),
            MessageView::Application(_) => Some(EngineEvent::Woken),
            MessageView::Element(e) => {
                self.meter(msg, e.structure()?);
                None
            }
            MessageView::Latency(_) => {
                let _ = self.built.pipeline.recalculate_latency();
                None
            }
            MessageView::StateChanged(s) if msg.src() == Some(self.built.pipeline.upcast_ref()) => {
                if s.current() == gst::State::Playing {
                    self.dump_graph("playing");
                }
                None
            }
            _ => None,
        }
    }

    /// Passes a `level` reading on to the monitor.
    fn meter(&self, msg: &gst::Message, s: &gst::StructureRef) {
        let (Some(monitor), Some(src)) = (&self.built.monitor, msg.src()) else {
            return;
        };
        let Some(source) = self.built.meters.get(src.name().as_str()) else {
            return;
        };
        let loudest = |field: &str| -> f64 {
            s.get::<gst::glib::ValueArray>(field)
                .ok()
                .and_then(|values| {
                    values
                        .iter()
                        .filter_map(|v| v.get::<f64>().ok())
                        .reduce(f64::max)
                })
                .unwrap_or(f64::NEG_INFINITY)
                .max(-100.0)
        };
        monitor.put_level(AudioLevel {
            source: source.clone(),
            rms_db: loudest("rms"),
            peak_db: loudest("peak"),
        });
    }

    /// Which output an element belongs to, from its name `outN-…`.
    fn output_of(&self, element_path: &str) -> Option<usize> {
        let name = element_path.rsplit(':').next()?;
        let rest = name.strip_prefix("out")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok().filter(|i| *i < self.slots.len())
    }
}
