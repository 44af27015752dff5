//! Simplified Chinese and English in the window: the model's [`Tr`] (English and Chinese side
//! by side), the system's language, and failures worded for the host.

use kaibo_model::Language;
pub use kaibo_model::Tr;

/// The language the system locale asks for (`LC_ALL`, then `LC_MESSAGES`, then `LANG`).
pub fn system_language() -> Language {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .map_or(Language::En, |v| Language::from_locale(&v))
}

/// A failure in the interface language: the engine words its failures in English (they also
/// go to logs and the CLI); in Chinese a sentence for the kind of failure comes first and the
/// English detail follows.
pub fn failure_text(tr: Tr, failure: &kaibo_model::Failure) -> String {
    use kaibo_model::FailureKind::*;
    if tr.lang() == Language::En {
        return failure.message.clone();
    }
    let headline = match failure.kind {
        ConnectionRefused => "无法连接推流服务器：请检查推流地址和网络",
        HostNotFound => "找不到推流服务器：请检查推流地址中的域名",
        Timeout => "推流服务器没有响应：请检查网络和防火墙",
        KeyRejected => "服务器拒绝了推流码：请在“设置”中重新粘贴推流码",
        ConnectionLost => "与推流服务器的连接断开了：请检查网络后重新开播",
        EndpointRejected => "WebRTC（WHIP）服务器拒绝了请求：请检查地址和令牌",
        IceFailed => "WebRTC 连接建立失败：可能 UDP 被阻断，或需要 TURN 服务器",
        DeviceMissing => "找不到采集设备，或设备正被其他程序占用",
        FileInvalid => "文件不存在或无法读取：请检查路径",
        RecordingFailed => "无法写入录制文件：请检查录制文件夹和磁盘空间",
        Invalid => "设置或场景有误",
        MissingComponent => "缺少 GStreamer 组件：请运行 cargo xtask run 安装",
        Internal => "直播管线内部出错",
    };
    format!("{headline}（{}）", failure.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaibo_model::{Failure, FailureKind};

    #[test]
    fn failures_read_in_chinese_with_the_detail_kept() {
        let f = Failure {
            kind: FailureKind::KeyRejected,
            message: "the server rejected the stream key".into(),
        };
        let zh = failure_text(Tr(Language::Zh), &f);
        assert!(
            zh.starts_with("服务器拒绝了推流码") && zh.contains("rejected"),
            "{zh}"
        );
        assert_eq!(failure_text(Tr(Language::En), &f), f.message);
    }
}
