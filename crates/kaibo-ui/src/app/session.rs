//! The running session behind the window: building the plan, starting and restarting it,
//! outputs joining and leaving, its events, the preview picture and the mixer.

use super::*;

impl KaiboApp {
    /// The plan for the current scenes with the wanted outputs.
    fn plan(&mut self) -> Result<SessionPlan, String> {
        let mut outputs = Vec::new();
        self.live_target = None;
        if self.wanted.live {
            let d = self.destination()?;
            self.live_target = Some(d.redacted());
            outputs.push(OutputSpec::Rtmp(d));
        }
        if self.wanted.record {
            let path = self.recording_file();
            self.recording_path = Some(path.clone());
            outputs.push(OutputSpec::Record(path));
        }
        let mut plan = SessionPlan {
            canvas: self.collection.canvas,
            scenes: self.collection.scenes.clone(),
            active: self
                .active
                .min(self.collection.scenes.len().saturating_sub(1)),
            video: self.settings.video,
            audio_bitrate_kbps: AUDIO_KBPS,
            outputs,
            duration_s: None,
            adaptive: true,
            preview: Some(self.preview_format.unwrap_or_default()),
        };
        resolve_windows(&mut plan)?;
        plan.validate()?;
        Ok(plan)
    }

    /// Once per frame: keeps the session in line with what the host wants, reads its events
    /// and the newest preview picture.
    pub fn tick(&mut self, ctx: &egui::Context) {
        self.frames_drawn += 1;
        self.read_events();
        self.poll_check();
        self.poll_interactions();
        let due = self.rebuild_at.is_some_and(|t| Instant::now() >= t);
        // While the checklist holds the devices the preview waits, unless the host starts
        // recording meanwhile.
        let held = self.preview_held && self.wanted == Outputs::default();
        // In a real window the first session waits for the preview area's size (laid out in
        // the first pass), so that its first pictures fit the area.
        let laid_out = self.gl_preview.is_none() || self.preview_format.is_some();
        if self.sessions_enabled && !self.blocked && !held && laid_out {
            if self.session.is_none() || due {
                self.restart();
            } else if self.running != self.wanted {
                self.sync_outputs();
            }
        }
        self.upload_preview(ctx);
        self.notices.retain(|n| n.at.elapsed() < NOTICE_FOR);
        self.cpu.sample();
    }

    /// Starts or ends the stream or the recording. While the session encodes for one of
    /// them, the other joins or leaves without touching it; from or to preview only, the
    /// session is rebuilt (nothing is on air then).
    fn sync_outputs(&mut self) {
        let encoding = self.running.live || self.running.record;
        let keeps_one = self.wanted.live || self.wanted.record;
        if !encoding || !keeps_one {
            return self.restart();
        }
        let mut commands = Vec::new();
        if self.wanted.live != self.running.live {
            if self.wanted.live {
                match self.destination() {
                    Ok(d) => {
                        self.live_target = Some(d.redacted());
                        self.live_since = Some(Instant::now());
                        commands.push(Command::AddOutput(OutputSpec::Rtmp(d)));
                    }
                    Err(e) => {
                        self.wanted.live = false;
                        self.notify(Level::Error, e);
                    }
                }
            } else if let Some(target) = self.live_target.take() {
                self.live_since = None;
                commands.push(Command::RemoveOutput { target });
            }
        }
        if self.wanted.record != self.running.record {
            if self.wanted.record {
                let path = self.recording_file();
                self.recording_path = Some(path.clone());
                commands.push(Command::AddOutput(OutputSpec::Record(path)));
            } else if let Some(path) = &self.recording_path {
                commands.push(Command::RemoveOutput {
                    target: path.display().to_string(),
                });
            }
        }
        if let Some(session) = &self.session {
            for c in commands {
                session.send(c);
            }
        }
        self.running = self.wanted;
    }

    fn restart(&mut self) {
        self.rebuild_at = None;
        // Stop the old session first: it holds the capture devices the new one opens.
        if let Some(old) = self.session.take() {
            drop(old);
            self.read_ended();
        }
        if self.collection.scenes.is_empty() {
            self.collection.scenes.push(Scene {
                name: self.tr().t("Scene 1", "场景 1").into(),
                sources: vec![],
            });
        }
        let plan = match self.plan() {
            Ok(p) => p,
            Err(e) => return self.give_up(e),
        };
        match LiveHandle::spawn(plan) {
            Ok(h) => {
                if self.wanted.live && !self.running.live {
                    self.live_since = Some(Instant::now());
                }
                if !self.wanted.live {
                    self.live_since = None;
                }
                self.running = self.wanted;
                self.session = Some(h);
                self.state = SessionState::Starting;
            }
            Err(e) => self.give_up(format!("could not start the session thread: {e}")),
        }
        // The hub's panels go to the new session (or to none when it did not start).
        self.retarget_hub();
    }

    /// A sender to the running session, for the hub's panels.
    pub(crate) fn session_sender(&self) -> Option<kaibo_runtime::Sender> {
        self.session.as_ref().map(LiveHandle::sender)
    }

    fn give_up(&mut self, error: String) {
        self.notify(Level::Error, error);
        self.blocked = true;
        self.wanted = Outputs::default();
        self.running = Outputs::default();
        self.live_since = None;
        self.state = SessionState::Failed;
    }

    pub(super) fn read_ended(&mut self) {
        self.stats = None;
        self.state = SessionState::Stopped;
    }

    fn read_events(&mut self) {
        let mut ended = None;
        while let Some(event) = self.session.as_ref().and_then(LiveHandle::try_event) {
            match event {
                Event::State(s) => self.state = s,
                Event::Stats(s) => {
                    self.state = s.state;
                    self.stats = Some(s);
                }
                Event::Notice(text) => self.notify(Level::Warn, text),
                Event::OutputFailed { target, failure } => {
                    // The failed output is over; the session (and the other output) goes on.
                    if self.live_target.as_deref() == Some(target.as_str()) {
                        self.live_target = None;
                        self.live_since = None;
                        (self.wanted.live, self.running.live) = (false, false);
                    }
                    let recording = self
                        .recording_path
                        .as_ref()
                        .map(|p| p.display().to_string());
                    if recording.as_deref() == Some(target.as_str()) {
                        (self.wanted.record, self.running.record) = (false, false);
                    }
                    let text = crate::i18n::failure_text(self.tr(), &failure);
                    self.notify(Level::Error, format!("{target}: {text}"));
                }
                Event::Reconnecting {
                    target,
                    attempt,
                    in_s,
                    ..
                } => {
                    let tr = self.tr();
                    let text = match tr.lang() {
                        kaibo_model::Language::Zh => {
                            format!("{target}：{in_s:.0} 秒后重连（第 {attempt} 次）")
                        }
                        kaibo_model::Language::En => {
                            format!("{target}: reconnecting in {in_s:.0} s (attempt {attempt})")
                        }
                    };
                    self.notify(Level::Warn, text);
                }
                Event::Ended { failure, .. } => {
                    ended = Some(failure);
                    break;
                }
            }
        }
        if let Some(failure) = ended {
            self.session = None;
            self.retarget_hub();
            self.read_ended();
            if let Some(f) = failure {
                // A failed stream or recording is not retried on its own; the preview is.
                self.notify(Level::Error, crate::i18n::failure_text(self.tr(), &f));
                self.wanted = Outputs::default();
                self.live_since = None;
                if self.running == Outputs::default() {
                    self.blocked = true;
                }
                self.running = Outputs::default();
            }
        }
    }

    fn upload_preview(&mut self, ctx: &egui::Context) {
        let Some(monitor) = self.monitor() else {
            return;
        };
        let Some(frame) = monitor.frame_after(self.preview_seq) else {
            return;
        };
        self.preview_seq = frame.seq;
        self.preview_shown += 1;
        if let Some(gl) = self.gl_preview.as_mut().filter(|g| g.works()) {
            // While the child window shows the pictures OpenGL only needs their size; holding
            // one for it would keep a buffer out of the engine's pool.
            if self.native_active {
                gl.set_size(frame.width, frame.height);
            } else {
                gl.set_frame(frame);
            }
            return;
        }
        let image = egui::ColorImage::from_rgba_unmultiplied(
            [frame.width as usize, frame.height as usize],
            &frame.rgba(),
        );
        match &mut self.preview {
            Some(t) => t.set(image, egui::TextureOptions::LINEAR),
            None => {
                self.preview =
                    Some(ctx.load_texture("program-preview", image, egui::TextureOptions::LINEAR));
            }
        }
    }

    /// The running session's preview pictures and levels.
    pub(crate) fn monitor(&self) -> Option<std::sync::Arc<kaibo_model::Monitor>> {
        self.session.as_ref().and_then(|s| s.monitor()).cloned()
    }

    /// Wants preview pictures that fit `size` pixels, in the child window's byte order when
    /// there is one (OpenGL takes either): the running session is asked once per change, and
    /// each new session starts with them, so its first pictures already fit.
    pub(crate) fn ask_preview_size(&mut self, size: (u32, u32)) {
        let wanted = PreviewFormat {
            width: size.0,
            height: size.1,
            layout: self
                .native_preview
                .as_ref()
                .map(|n| n.layout())
                .unwrap_or_default(),
        };
        if self.preview_format == Some(wanted) {
            return;
        }
        if let Some(s) = &self.session {
            s.send(Command::SetPreviewFormat(wanted));
        }
        self.preview_format = Some(wanted);
    }

    /// Latest sound levels, by source key.
    pub(crate) fn levels(&self) -> Vec<kaibo_model::AudioLevel> {
        self.session
            .as_ref()
            .and_then(|s| s.monitor())
            .map(|m| m.levels())
            .unwrap_or_default()
    }

    /// Sends a gain/mute change to the session (no rebuild).
    pub(crate) fn send_audio(&self, source: &SourceKind, gain_db: f64, muted: bool) {
        if let Some(s) = &self.session {
            s.send(Command::SetAudio {
                source: source.key(),
                gain_db,
                muted,
            });
        }
    }
}
