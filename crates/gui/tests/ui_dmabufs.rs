//! The dma-buf view and the time base on real recordings: GStreamer's zero-copy pipeline
//! (`v4l2src io-mode=dmabuf ! v4l2sink io-mode=dmabuf-import`) recorded by `vb2scope record`
//! on vivid, on every kernel of the corpus.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use vb2scope_core::time::Origin;
use vb2scope_core::timeline::{Resource, Role};
use vb2scope_gui::{Inspector, PolicyChoice};

fn recordings(name: &str) -> Vec<(String, Vec<u8>)> {
    let root = format!("{}/../../tests/fixtures/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut kernels: Vec<_> = std::fs::read_dir(&root)
        .expect("corpus")
        .flatten()
        .map(|d| d.path())
        .collect();
    kernels.sort();
    for k in kernels {
        let p = k.join(format!("{name}.record.jsonl.zst"));
        let Ok(b) = std::fs::read(&p) else {
            continue;
        };
        let text = zstd::decode_all(&b[..]).expect("zstd");
        out.push((p.display().to_string(), text));
    }
    assert!(out.len() >= 4, "{name}: a recording per kernel");
    out
}

fn opened(name: &str, bytes: &[u8]) -> Harness<'static, Inspector> {
    let i = Inspector::open(name, bytes, PolicyChoice::Auto);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 2400.0))
        .build_ui_state(|ui, s: &mut Inspector| s.ui(ui), i);
    h.run();
    h
}

/// Each dma-buf the capture queue exported is a group of the view: its exporter's row and
/// its importers' rows, named by device node. Hovering an importer's row lights that
/// dma-buf on every lane and says who exported it.
#[test]
fn the_zero_copy_pipeline_links_exporter_and_importers() {
    for (path, bytes) in recordings("gst-zero-copy") {
        let mut h = opened(&path, &bytes);
        let doc = h.state().document().expect("loaded").clone();
        let tl = doc.timeline();
        let lanes = doc.dmabuf_lanes();
        assert!(!lanes.is_empty(), "{path}");
        let d = &lanes[0];
        let exp = d.holders.first().expect("holders");
        assert_eq!(exp.role, Role::Exporter, "{path}");
        let exporter = tl.holder_name(exp);
        assert!(exporter.starts_with("video0:cap #"), "{path}: {exporter}");
        let imp = d
            .holders
            .iter()
            .find(|h| h.role == Role::Importer)
            .expect("an importer");
        let importer = tl.holder_name(imp);
        assert!(importer.starts_with("video1:out #"), "{path}: {importer}");

        let header = tl.describe_dmabuf(tl.dmabuf(d.id).expect("info"));
        assert!(
            header.contains(&format!(
                "exported by {}",
                exporter.replace(".0", " plane 0")
            )),
            "{path}: {header}"
        );
        h.get_by_label(&header);
        let exp_label = format!("exp {exporter}");
        h.get_all_by_label(&exp_label).next().expect("exporter row");
        let imp_label = format!("imp {importer}");
        h.get_all_by_label(&imp_label)
            .next()
            .expect("importer row")
            .hover();
        h.run();
        h.run();
        assert!(
            h.state().lit_dmabuf().is_some(),
            "{path}: hovering an importer lights a dma-buf"
        );
        let lit = h.state().lit_dmabuf();
        assert_eq!(
            lit,
            Some(d.id),
            "{path}: the first row is the first dma-buf's"
        );
        let tip = format!("{header}\nimporter {importer}");
        h.get_by_label(&tip);
    }
}

/// A mapping the output queue keeps after its STREAMOFF (vb2 keeps a DMABUF plane mapped
/// until the buffer is freed or given another dma-buf: R03, info under every kernel's vb2)
/// is the dma-buf still held by the stopped queue: the importer's mapped track, inside the
/// time it is tied to the dma-buf, goes on past the STREAMOFF.
#[test]
fn a_mapping_kept_after_streamoff_is_the_dma_buf_still_held() {
    for (path, bytes) in recordings("gst-zero-copy") {
        let h = opened(&path, &bytes);
        let doc = h.state().document().expect("loaded");
        let tl = doc.timeline();
        let out_off = tl
            .marks
            .iter()
            .find(|m| {
                m.label == "STREAMOFF"
                    && m.queue.is_some_and(|q| q.ty.is_output())
                    && m.result.is_ok()
            })
            .map(|m| m.t_ns)
            .expect("the output's STREAMOFF");
        let held_after = doc.dmabuf_lanes().iter().any(|d| {
            d.holders.iter().any(|hd| {
                hd.role == Role::Importer
                    && hd.tied_at(out_off + 1)
                    && tl.lanes[hd.lane].planes[usize::from(hd.plane)]
                        .tracks
                        .iter()
                        .filter(|t| t.resource == Resource::Mapped)
                        .flat_map(|t| t.spans.iter())
                        .any(|s| s.start_ns <= out_off && s.end_ns > out_off)
            })
        });
        assert!(held_after, "{path}: no dma-buf held mapped past STREAMOFF");
    }
}

/// Every time shown counts from the first buffer event by default; the toolbar moves the
/// origin to the trace's start, the first STREAMON or the selected event.
#[test]
fn times_count_from_the_chosen_origin() {
    let (path, bytes) = recordings("gst-zero-copy").remove(2);
    let mut h = opened(&path, &bytes);
    let tl = h.state().document().expect("loaded").timeline().clone();
    let (first, _) = tl.activity_range();
    assert_eq!(h.state().origin(), Origin::Activity);
    let first_event = tl
        .event_times
        .iter()
        .position(|&t| t == first)
        .expect("the first buffer event");
    // Selected, it reads +0 in the details and in its row of the event table.
    h.state_mut().set_cursor(Some(first_event as u32));
    h.run();
    h.get_by_label(&format!("Event {first_event} at +0.000000 ms"));
    h.get_all_by_label_contains(&format!("{first_event:>6}  {:>16}", "+0.000000 ms"))
        .next()
        .expect("its row at +0");
    for (item, origin) in [
        ("trace start", Origin::TraceStart),
        ("first STREAMON", Origin::FirstStreamon),
    ] {
        h.get_by_label("Time from").click();
        h.run();
        h.get_by_label(item).click();
        h.run();
        assert_eq!(h.state().origin(), origin, "{path}");
    }
    h.get_by_label("Time from").click();
    h.run();
    h.get_by_label(&format!("the selected event ({first_event})"))
        .click();
    h.run();
    assert_eq!(h.state().origin(), Origin::Event(first_event as u32));
    assert!(tl.origin_ns(Origin::FirstStreamon) > first, "{path}");
    assert_eq!(tl.origin_ns(Origin::TraceStart), tl.start_ns);
}
