//! The one way to build a session plan, shared by the command line and the window: defaults in
//! one place, window titles resolved to X windows here in the runtime, validated once.

use kaibo_model::devices::find_window;
use kaibo_model::{
    Canvas, OutputSpec, PlatformProfile, PreviewFormat, Scene, SessionPlan, SourceKind,
    VideoSettings,
};

/// The stream's audio bitrate when no platform profile names one.
pub const DEFAULT_AUDIO_KBPS: u32 = 128;

/// A session plan being put together.
#[derive(Clone, Debug)]
pub struct PlanBuilder {
    plan: SessionPlan,
}

impl PlanBuilder {
    /// A plan showing `scenes` (the first on air) on `canvas`, with default video settings,
    /// [`DEFAULT_AUDIO_KBPS`], adaptive bitrate, no outputs, no preview and no time limit.
    pub fn new(canvas: Canvas, scenes: Vec<Scene>) -> Self {
        Self {
            plan: SessionPlan {
                canvas,
                scenes,
                active: 0,
                video: VideoSettings::default(),
                audio_bitrate_kbps: DEFAULT_AUDIO_KBPS,
                outputs: Vec::new(),
                duration_s: None,
                adaptive: true,
                preview: None,
            },
        }
    }

    /// The scene on air first (clamped to the scenes there are).
    pub fn active(mut self, index: usize) -> Self {
        self.plan.active = index.min(self.plan.scenes.len().saturating_sub(1));
        self
    }

    pub fn video(mut self, video: VideoSettings) -> Self {
        self.plan.video = video;
        self
    }

    /// The audio bitrate `profile` recommends (none: the default).
    pub fn audio_for(mut self, profile: Option<&PlatformProfile>) -> Self {
        self.plan.audio_bitrate_kbps = profile.map_or(DEFAULT_AUDIO_KBPS, |p| p.audio_kbps);
        self
    }

    pub fn outputs(mut self, outputs: impl IntoIterator<Item = OutputSpec>) -> Self {
        self.plan.outputs.extend(outputs);
        self
    }

    /// Stop by itself after this long.
    pub fn duration_s(mut self, seconds: Option<f64>) -> Self {
        self.plan.duration_s = seconds;
        self
    }

    /// Fit the video bitrate to what the destinations deliver (on by default).
    pub fn adaptive(mut self, adaptive: bool) -> Self {
        self.plan.adaptive = adaptive;
        self
    }

    /// Deliver preview pictures in `format` and sound levels (the window's monitor).
    pub fn preview(mut self, format: PreviewFormat) -> Self {
        self.plan.preview = Some(format);
        self
    }

    /// The finished plan: validated, then window sources given by title bound to the open
    /// window that has it (an error names a title that matched nothing).
    pub fn build(self) -> Result<SessionPlan, String> {
        let mut plan = self.plan;
        plan.validate()?;
        resolve_windows(&mut plan)?;
        Ok(plan)
    }
}

/// Fills in the X window id of window sources given by title; says which title matched nothing.
fn resolve_windows(plan: &mut SessionPlan) -> Result<(), String> {
    for source in plan.scenes.iter_mut().flat_map(|s| s.sources.iter_mut()) {
        if let SourceKind::Window {
            title: Some(title),
            xid: xid @ None,
            display,
        } = &mut source.input
        {
            let windows =
                kaibo_devices::list_windows(display.as_deref()).map_err(|e| e.to_string())?;
            let found = find_window(&windows, title).ok_or_else(|| {
                format!("no open window has \"{title}\" in its title; open it first (`kaibo devices` lists windows)")
            })?;
            *xid = Some(found.xid);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(name: &str) -> Scene {
        Scene::from_inputs(name, vec![SourceKind::Test])
    }

    #[test]
    fn defaults_live_in_one_place() {
        let plan = PlanBuilder::new(Canvas::default(), vec![scene("A")])
            .outputs([OutputSpec::Record("x.mkv".into())])
            .build()
            .expect("a valid plan");
        assert_eq!(plan.audio_bitrate_kbps, DEFAULT_AUDIO_KBPS);
        assert_eq!(plan.video, VideoSettings::default());
        assert!(plan.adaptive);
        assert_eq!(plan.preview, None);
    }

    #[test]
    fn the_active_scene_is_clamped_and_a_plan_without_work_is_refused() {
        let b = PlanBuilder::new(Canvas::default(), vec![scene("A"), scene("B")]).active(7);
        assert!(
            b.clone()
                .build()
                .expect_err("nothing to do")
                .contains("nothing to do")
        );
        let plan = b.preview(PreviewFormat::default()).build().expect("valid");
        assert_eq!(plan.active, 1);
    }
}
