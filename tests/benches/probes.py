"""JavaScript the panel benchmarks put in the panel's page."""

from __future__ import annotations

#: For every progress message the page draws (the message is the tool's
#: wall-clock ms), records in ``__lat`` how long after the stamp the DOM
#: changed, and in ``__frame`` when the next animation frame began (the
#: frame that paints it).
OBSERVE = """
window.__lat = [];
window.__frame = [];
const seen = new Set();
new MutationObserver((records) => {
  const now = performance.timeOrigin + performance.now();
  for (const r of records) {
    const node = r.target.nodeType === 3 ? r.target.parentElement : r.target;
    if (node && node.classList && node.classList.contains("message")) {
      const sent = Number(node.textContent);
      // The first time each stamp shows; the page's once-a-second redraw
      // sets the same text again.
      if (sent > 0 && !seen.has(sent)) {
        seen.add(sent);
        window.__lat.push(now - sent);
        requestAnimationFrame(() =>
          window.__frame.push(performance.timeOrigin + performance.now() - sent));
      }
    }
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
true
"""


def callback_loop(samples: int) -> str:
    """Calls the ``stamp`` callback ``samples`` times, 20 ms apart, and
    leaves in ``__cb`` how long after each call it started (ms)."""
    return f"""(async () => {{
        const lat = [];
        for (let i = 0; i < {samples}; i++) {{
            await new Promise((r) => setTimeout(r, 20));
            const start = performance.timeOrigin + performance.now();
            const began = await dcclink.call("stamp");
            lat.push(began - start);
        }}
        window.__cb = lat;
    }})()"""


#: Counts the ``burst`` events the page receives in ``__burst``.
COUNT_BURST = "window.__burst = 0; dcclink.on('burst', () => window.__burst++); true"
