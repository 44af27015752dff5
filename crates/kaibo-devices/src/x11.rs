//! X11 screens (RandR monitors) and top-level windows with titles.

use kaibo_model::devices::{ScreenInfo, WindowInfo};
use x11rb::connection::Connection;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, MapState, Window};
use x11rb::rust_connection::RustConnection;

/// Why the X server could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum X11Error {
    #[error(
        "cannot open X display {0}: is it running and is DISPLAY set? Screens and windows are not listed"
    )]
    Connect(String),
    #[error("the X server at {display} failed a request ({reason})")]
    Request { display: String, reason: String },
}

fn connect(display: Option<&str>) -> Result<(RustConnection, usize, String), X11Error> {
    let name = display
        .map(str::to_owned)
        .or_else(|| std::env::var("DISPLAY").ok())
        .unwrap_or_else(|| ":0".into());
    let (conn, screen) =
        x11rb::connect(Some(&name)).map_err(|_| X11Error::Connect(name.clone()))?;
    Ok((conn, screen, name))
}

fn request_error(display: &str) -> impl Fn(&dyn std::fmt::Display) -> X11Error + '_ {
    move |e| X11Error::Request {
        display: display.to_owned(),
        reason: e.to_string(),
    }
}

/// The monitors of a display (the whole screen when RandR reports none).
pub fn list_screens(display: Option<&str>) -> Result<Vec<ScreenInfo>, X11Error> {
    let (conn, screen_num, name) = connect(display)?;
    let err = request_error(&name);
    let screen = &conn.setup().roots[screen_num];
    let whole = ScreenInfo {
        display: name.clone(),
        name: format!("screen {}", screen_num),
        x: 0,
        y: 0,
        width: u32::from(screen.width_in_pixels),
        height: u32::from(screen.height_in_pixels),
    };
    let monitors = conn
        .randr_get_monitors(screen.root, true)
        .ok()
        .and_then(|c| c.reply().ok())
        .map(|r| r.monitors)
        .unwrap_or_default();
    if monitors.len() <= 1 {
        return Ok(vec![whole]);
    }
    let mut out = Vec::new();
    for m in monitors {
        let monitor_name = conn
            .get_atom_name(m.name)
            .map_err(|e| err(&e))?
            .reply()
            .map(|r| String::from_utf8_lossy(&r.name).into_owned())
            .unwrap_or_default();
        out.push(ScreenInfo {
            display: name.clone(),
            name: monitor_name,
            x: i32::from(m.x),
            y: i32::from(m.y),
            width: u32::from(m.width),
            height: u32::from(m.height),
        });
    }
    Ok(out)
}

/// Visible top-level windows that have a title (looking one level into window-manager frames).
pub fn list_windows(display: Option<&str>) -> Result<Vec<WindowInfo>, X11Error> {
    let (conn, screen_num, name) = connect(display)?;
    let err = request_error(&name);
    let root = conn.setup().roots[screen_num].root;
    let net_wm_name = intern(&conn, b"_NET_WM_NAME");
    let utf8 = intern(&conn, b"UTF8_STRING");
    let children = conn
        .query_tree(root)
        .map_err(|e| err(&e))?
        .reply()
        .map_err(|e| err(&e))?
        .children;
    let mut out = Vec::new();
    for top in children {
        let viewable = conn
            .get_window_attributes(top)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        if !viewable {
            continue;
        }
        let mut candidates = vec![top];
        if let Some(tree) = conn.query_tree(top).ok().and_then(|c| c.reply().ok()) {
            candidates.extend(tree.children);
        }
        let found = candidates
            .into_iter()
            .find_map(|w| title(&conn, w, net_wm_name, utf8).map(|t| (w, t)));
        if let Some((w, t)) = found {
            let (width, height) = conn
                .get_geometry(w)
                .ok()
                .and_then(|c| c.reply().ok())
                .map(|g| (u32::from(g.width), u32::from(g.height)))
                .unwrap_or((0, 0));
            out.push(WindowInfo {
                xid: u64::from(w),
                title: t,
                display: name.clone(),
                width,
                height,
            });
        }
    }
    Ok(out)
}

fn intern(conn: &RustConnection, atom: &[u8]) -> Option<u32> {
    conn.intern_atom(false, atom)
        .ok()?
        .reply()
        .ok()
        .map(|r| r.atom)
}

fn title(
    conn: &RustConnection,
    w: Window,
    net_wm_name: Option<u32>,
    utf8: Option<u32>,
) -> Option<String> {
    let read = |prop: u32, ty: u32| {
        conn.get_property(false, w, prop, ty, 0, 1024)
            .ok()?
            .reply()
            .ok()
            .filter(|r| !r.value.is_empty())
            .map(|r| String::from_utf8_lossy(&r.value).into_owned())
    };
    if let (Some(p), Some(t)) = (net_wm_name, utf8)
        && let Some(s) = read(p, t)
    {
        return Some(s);
    }
    // Legacy WM_NAME may be STRING or COMPOUND_TEXT; ASCII titles read the same in both.
    read(AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())
}
