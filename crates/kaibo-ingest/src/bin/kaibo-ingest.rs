//! `kaibo-ingest`: the latency benchmark's receivers and baseline publisher.
//!
//! ```text
//! kaibo-ingest whip      --seconds N [--warmup W]           WHIP ingest; prints `url …` first
//! kaibo-ingest rtmp-pull --url rtmp://… --seconds N [--warmup W]
//! kaibo-ingest push      --url rtmp://… --seconds N          bare GStreamer publisher (baseline)
//! ```
//! Receivers read the QR clock where they decode and end with one line:
//! `latency median_ms=… p95_ms=… samples=… frames=…`.

use gst::prelude::*;
use kaibo_ingest::{Meter, WhipIngest, clock, median_p95};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const WIDTH: i32 = 1280;
const HEIGHT: i32 = 720;

struct Args {
    url: String,
    seconds: u64,
    warmup: u64,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        url: String::new(),
        seconds: 60,
        warmup: 5,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--url" => a.url = value.clone(),
            "--seconds" => a.seconds = number()?,
            "--warmup" => a.warmup = number()?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = gst::init()
        .map_err(|e| e.to_string())
        .and_then(|()| parse(args.get(1..).unwrap_or_default()))
        .and_then(|a| match args.first().map(String::as_str) {
            Some("whip") => whip(&a),
            Some("rtmp-pull") => rtmp_pull(&a),
            Some("push") => push(&a),
            _ => Err(
                "usage: kaibo-ingest whip|rtmp-pull|push [--url U] [--seconds N] [--warmup W]"
                    .into(),
            ),
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kaibo-ingest: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The first error on a pipeline's bus, if any.
fn bus_error(pipeline: Option<&gst::Pipeline>) -> Option<String> {
    let msg = pipeline?.bus()?.pop_filtered(&[gst::MessageType::Error])?;
    match msg.view() {
        gst::MessageView::Error(e) => Some(format!("{} ({:?})", e.error(), e.debug())),
        _ => None,
    }
}

/// Waits for the first sample, drops `warmup` seconds of them, then measures `seconds`.
fn measure(
    meter: &Meter,
    a: &Args,
    pipeline: Option<&gst::Pipeline>,
    frames: impl Fn() -> u64,
) -> Result<(), String> {
    let start = Instant::now();
    while meter.samples().is_empty() {
        if let Some(e) = bus_error(pipeline) {
            return Err(e);
        }
        if start.elapsed() > Duration::from_secs(30) {
            return Err("no QR clock was read from the decoded pictures within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(a.warmup));
    meter.clear();
    let frames_before = frames();
    std::thread::sleep(Duration::from_secs(a.seconds));
    let samples = meter.samples();
    let (median, p95) = median_p95(&samples).ok_or("no samples")?;
    println!(
        "latency median_ms={median:.1} p95_ms={p95:.1} samples={} frames={}",
        samples.len(),
        frames() - frames_before
    );
    Ok(())
}

fn whip(a: &Args) -> Result<(), String> {
    let ingest = WhipIngest::start_with(None, Some((WIDTH, HEIGHT)))?;
    println!("url {}", ingest.url("/whip"));
    measure(&ingest.meter(), a, None, || ingest.video_frames())
}

fn launch(description: &str) -> Result<gst::Pipeline, String> {
    gst::parse::launch(description)
        .map_err(|e| e.to_string())?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline".to_owned())
}

/// Pulls the stream back and reads the QR clock of every picture as soon as it is decoded.
/// The decoder uses slice threads: rtmp2src is not a live source, so avdec_h264 would
/// otherwise pick frame threads, which hold each picture back one or two frames.
fn rtmp_pull(a: &Args) -> Result<(), String> {
    let description = format!(
        "rtmp2src location={} ! flvdemux name=d d.video ! queue ! h264parse ! avdec_h264 thread-type=slice ! \
         videocrop right={} bottom={} ! videoconvert ! zbar attach-frame=false ! fakesink sync=false \
         d.audio ! queue ! fakesink sync=false async=false",
        a.url,
        WIDTH - 320,
        HEIGHT - 240
    );
    let meter = Meter::default();
    // rtmp2src sometimes stalls in its handshake with nginx: start again until pictures come.
    let mut pipeline = None;
    for _ in 0..6 {
        let p = launch(&description)?;
        meter.watch(&p);
        p.set_state(gst::State::Playing)
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        while meter.samples().is_empty() && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if !meter.samples().is_empty() {
            pipeline = Some(p);
            break;
        }
        let _ = p.set_state(gst::State::Null);
    }
    let pipeline = pipeline.ok_or("no picture came from the RTMP server in 6 tries")?;
    let result = measure(&meter, a, Some(&pipeline), || 0);
    let _ = pipeline.set_state(gst::State::Null);
    result
}

/// The same job as `kaibo live --source test --to URL` at 720p30, as a bare pipeline.
fn push(a: &Args) -> Result<(), String> {
    let pipeline = launch(&format!(
        "videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! \
         video/x-raw,format=I420,width={WIDTH},height={HEIGHT},framerate=30/1 ! \
         qroverlay name=qr x=1 y=1 pixel-size=4 ! \
         x264enc threads=1 bitrate=2500 pass=cbr speed-preset=veryfast tune=zerolatency \
         key-int-max=60 option-string=scenecut=0 vbv-buf-capacity=1000 ! video/x-h264,profile=high ! \
         h264parse config-interval=-1 ! flvmux name=m streamable=true ! rtmp2sink location={} \
         audiotestsrc is-live=true wave=silence ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! \
         avenc_aac bitrate=128000 ! aacparse ! m.",
        a.url
    ))?;
    if let Some(qr) = pipeline.by_name("qr") {
        clock::stamp_capture_time(&qr);
    }
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| e.to_string())?;
    let until = Instant::now() + Duration::from_secs(a.seconds);
    while Instant::now() < until {
        if let Some(e) = bus_error(Some(&pipeline)) {
            return Err(e);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    pipeline.send_event(gst::event::Eos::new());
    let _ = pipeline.bus().and_then(|b| {
        b.timed_pop_filtered(gst::ClockTime::from_seconds(3), &[gst::MessageType::Eos])
    });
    let _ = pipeline.set_state(gst::State::Null);
    Ok(())
}
