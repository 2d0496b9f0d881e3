// What a person would see wrong on the page, measured in the browser (tests/browser/layout.py).
// Returns a list of findings (strings); empty means the page reads right at this width.
//
// 1. The page is never wider than the screen (no sideways scrolling of the document).
// 2. Every amount of money ("Bs 1.000,00", "$us 5,00", "USD 1.000,00") is on screen in one
//    piece: inside the viewport, not clipped or scrolled away by an ancestor whose overflow is
//    not visible, and not broken over two lines ("Bs" / "1.500,50").
// 3. No two pieces of text overlap. Text is compared per rendered line box (Range rects of
//    each text node). A popup (an element with position absolute or fixed, e.g. an open
//    dropdown menu or the idle-timeout notice) is drawn over the page by design, so text is
//    compared only with text of the same layer.
() => {
  const findings = [];
  const doc = document.documentElement;
  const viewWidth = doc.clientWidth;
  const SLACK = 1; // sub-pixel rounding

  const describe = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 3; node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) part += `#${node.id}`;
      else if (node.classList.length) part += `.${[...node.classList].join(".")}`;
      parts.unshift(part);
    }
    return parts.join(" > ");
  };

  if (doc.scrollWidth > viewWidth + SLACK) {
    // Name the widest culprits: elements that reach past the right edge.
    const wide = [...document.body.querySelectorAll("*")]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > viewWidth + SLACK && !isHidden(el);
      })
      .slice(-3)
      .map(describe);
    findings.push(`page is ${doc.scrollWidth}px wide in a ${viewWidth}px screen (${wide.join("; ")})`);
  }

  function isHidden(el) {
    // Not rendered: display none, visibility hidden, opacity 0, or inside a closed <details>
    // (its content is skipped with content-visibility, which the styles below do not show).
    if (!el.checkVisibility({ contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true })) return true;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.visibility === "hidden" || style.display === "none" || style.opacity === "0") return true;
      // The .visually-hidden pattern: a 1 px box, clipped.
      if (style.position === "absolute" && (style.clip !== "auto" || style.clipPath !== "none")) {
        const r = node.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) return true;
      }
      // Moved off-screen on purpose (the skip link until it is focused).
      if (style.position === "absolute" || style.position === "fixed") {
        const r = node.getBoundingClientRect();
        if (r.right <= 0 || r.bottom <= 0) return true;
      }
    }
    return false;
  }

  const layerOf = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const position = getComputedStyle(node).position;
      if (position === "absolute" || position === "fixed") return node;
    }
    return doc;
  };

  // Every visible text node, with its line boxes.
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SELECT", "OPTION", "TEXTAREA", "TITLE"]);
  const texts = []; // text as drawn: line boxes cut to what their clipping boxes show
  const rendered = []; // every rendered text, shown or scrolled away (money is checked on these)
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      if (!node.data.trim()) return NodeFilter.FILTER_REJECT;
      const parent = node.parentElement;
      if (!parent || SKIP.has(parent.tagName) || parent.closest("select, svg")) return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  const hiddenCache = new Map();
  const hidden = (el) => {
    if (!hiddenCache.has(el)) hiddenCache.set(el, isHidden(el));
    return hiddenCache.get(el);
  };
  // The visible box of an element's content: the viewport cut by every ancestor that clips
  // (overflow not visible), so text scrolled out of a box (the terms) is not "drawn".
  const clipCache = new Map();
  const clipOf = (el) => {
    if (!el || el === doc || el.nodeType !== 1) return { left: -Infinity, top: -Infinity, right: Infinity, bottom: Infinity };
    if (clipCache.has(el)) return clipCache.get(el);
    const outer = clipOf(el.parentElement);
    const style = getComputedStyle(el);
    let clip = outer;
    if (style.overflowX !== "visible" || style.overflowY !== "visible") {
      const r = el.getBoundingClientRect();
      const left = r.left + el.clientLeft;
      const top = r.top + el.clientTop;
      clip = {
        left: Math.max(outer.left, left),
        top: Math.max(outer.top, top),
        right: Math.min(outer.right, left + el.clientWidth),
        bottom: Math.min(outer.bottom, top + el.clientHeight),
      };
    }
    clipCache.set(el, clip);
    return clip;
  };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (hidden(parent)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const clip = clipOf(parent);
    const drawn = [...range.getClientRects()].filter((r) => r.width > 0.5 && r.height > 0.5);
    if (drawn.length) rendered.push({ node, parent });
    const rects = drawn
      .map((r) => ({
        left: Math.max(r.left, clip.left),
        top: Math.max(r.top, clip.top),
        right: Math.min(r.right, clip.right),
        bottom: Math.min(r.bottom, clip.bottom),
      }))
      .filter((r) => r.right - r.left > 0.5 && r.bottom - r.top > 0.5);
    if (rects.length) texts.push({ node, parent, rects, layer: layerOf(parent) });
  }

  // 2. Money, in one piece and fully visible.
  const MONEY = /(?:Bs|\$us|USD)[\s\u00a0]*-?\d(?:[\d.,]*\d)?/g;
  const clippers = (el) => {
    const list = [];
    // From the text's own element: a box that truncates its own text (text-overflow) counts.
    for (let node = el; node && node !== doc; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.overflowX !== "visible" || style.overflowY !== "visible") list.push(node);
    }
    return list;
  };
  for (const { node, parent } of rendered) {
    for (const match of node.data.matchAll(MONEY)) {
      const amount = match[0].trim();
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0.5);
      if (!rects.length) continue;
      const where = describe(parent);
      const tops = new Set(rects.map((r) => Math.round(r.top)));
      if (tops.size > 1) findings.push(`"${amount}" is broken over ${tops.size} lines (${where})`);
      const box = range.getBoundingClientRect();
      if (box.left < -SLACK || box.right > viewWidth + SLACK) {
        findings.push(`"${amount}" is outside the screen (x ${Math.round(box.left)}–${Math.round(box.right)} of ${viewWidth}) (${where})`);
        continue;
      }
      for (const clipper of clippers(parent)) {
        const c = clipper.getBoundingClientRect();
        const left = c.left + clipper.clientLeft;
        const right = left + clipper.clientWidth;
        if (box.left < left - SLACK || box.right > right + SLACK) {
          findings.push(`"${amount}" is cut off or scrolled away by ${describe(clipper)} (${where})`);
          break;
        }
      }
    }
  }

  // 3. Text over text.
  const reported = new Set();
  const OVERLAP = 2; // px in both directions: touching line boxes are not an overlap
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i];
      const b = texts[j];
      if (a.layer !== b.layer) continue;
      let hit = false;
      for (const ra of a.rects) {
        for (const rb of b.rects) {
          const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
          const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
          if (w > OVERLAP && h > OVERLAP) { hit = true; break; }
        }
        if (hit) break;
      }
      if (hit) {
        const key = `${describe(a.parent)}|${describe(b.parent)}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const snip = (t) => JSON.stringify(t.node.data.trim().slice(0, 30));
        findings.push(`text ${snip(a)} (${describe(a.parent)}) overlaps ${snip(b)} (${describe(b.parent)})`);
      }
    }
  }
  return findings;
}
