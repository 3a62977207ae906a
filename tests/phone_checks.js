// The rules of tests/test_browser_phone_pages.py (see its docstring), one function run in each page.
() => {
  // The phone's width: with a mobile viewport, innerWidth grows to a page that is too wide.
  const W = Math.min(window.innerWidth, screen.width, document.documentElement.clientWidth);
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    else if (el.classList.length) s += '.' + Array.from(el.classList).slice(0, 3).join('.');
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.getAttribute('title') || '')
      .trim().replace(/\s+/g, ' ').slice(0, 24);
    return text ? `${s} "${text}"` : s;
  };
  const visible = (el) => {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const add = (rule, detail) => problems.push({ rule, detail });

  // sideways (naming the outermost elements that stick out, not those in a scroll box)
  const scrolled = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const width = document.documentElement.scrollWidth;
  if (width > W + 1) {
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      const parent = el.parentElement.getBoundingClientRect();
      if (r.right > W + 1 && parent.right <= W + 1 && visible(el) && !scrolled(el)) wide.push(`${describe(el)} to ${Math.round(r.right)}px`);
    }
    add('sideways', `page ${width}px wide: ${wide.slice(0, 5).join('; ')}`);
  }

  // one character per line
  const CJK = /[\u3400-\u9fff\uf900-\ufaff]/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const squeezed = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if ((node.textContent.match(CJK) || []).length < 2) continue;
    const el = node.parentElement;
    if (!el || squeezed.has(el) || el.closest('svg, script, style, template, option, .visually-hidden, .visually-hidden-focusable')) continue;
    if (!visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = Array.from(range.getClientRects()).filter((r) => r.width > 1 && r.height > 1);
    if (rects.length < 2) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const lines = new Set(rects.map((r) => Math.round(r.top))).size;
    const widest = Math.max(...rects.map((r) => r.width));
    if (lines >= 2 && widest < 1.9 * size) {
      squeezed.add(el);
      add('one-char-per-line', `${describe(el)}: ${lines} lines, widest ${Math.round(widest)}px at ${size}px`);
    }
  }

  // tap targets
  const RUNNING = 'p, li, dd, label, .form-text';
  const ownText = (block) => {
    let text = '';
    const walk = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) {
      if (!walk.currentNode.parentElement.closest('a, button')) text += walk.currentNode.textContent;
    }
    return text.replace(/[\s\p{P}\p{S}]/gu, '').length;
  };
  const inRunningText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    return !!block && block.matches(RUNNING) && ownText(block) >= 2;
  };
  const TARGETS = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(TARGETS)) {
    if (el.disabled || el.closest('[inert]')) continue;
    let boxes = [el.getBoundingClientRect()];
    if (el.labels && (el.type === 'checkbox' || el.type === 'radio')) {
      boxes = boxes.concat(Array.from(el.labels).filter(visible).map((l) => l.getBoundingClientRect()));
    }
    if (!visible(el) && boxes.length === 1) continue;
    const w = Math.max(...boxes.map((b) => b.width));
    const h = Math.max(...boxes.map((b) => b.height));
    if ((w < 39.5 || h < 39.5) && !inRunningText(el)) {
      add('tap-target', `${describe(el)} ${Math.round(w)}×${Math.round(h)}`);
    }
  }

  // chart labels: each axis label's box as laid out (rotation included), as a polygon
  const corners = (d) => {
    const r = d.getBoundingRect();
    const m = d.getComputedTransform() || [1, 0, 0, 1, 0, 0];
    return [[r.x, r.y], [r.x + r.width, r.y], [r.x + r.width, r.y + r.height], [r.x, r.y + r.height]]
      .map(([x, y]) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]]);
  };
  const apart = (a, b) => {  // separating axis test of two convex polygons, 1px tolerance
    for (const poly of [a, b]) {
      for (let i = 0; i < poly.length; i++) {
        const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % poly.length];
        const nx = y1 - y2, ny = x2 - x1, len = Math.hypot(nx, ny) || 1;
        const project = (p) => p.map(([x, y]) => (x * nx + y * ny) / len);
        const pa = project(a), pb = project(b);
        if (Math.max(...pa) <= Math.min(...pb) + 1 || Math.max(...pb) <= Math.min(...pa) + 1) return true;
      }
    }
    return false;
  };
  if (window.echarts) {
    for (const el of document.querySelectorAll('[_echarts_instance_]')) {
      const chart = echarts.getInstanceByDom(el);
      if (!chart || !visible(el)) continue;
      const labels = [];
      chart.getZr().storage.getDisplayList(true).forEach((d) => {
        if ((d.type !== 'tspan' && d.type !== 'text') || d.ignore || d.invisible || !d.style || !d.style.text) return;
        let p = d, axis = false;
        while (p && !axis) { axis = typeof p.anid === 'string' && p.anid.startsWith('label_'); p = p.parent; }
        if (axis) labels.push({ text: d.style.text, poly: corners(d) });
      });
      const overlaps = [], clipped = [];
      const w = el.clientWidth, h = el.clientHeight;
      for (let i = 0; i < labels.length; i++) {
        const xs = labels[i].poly.map((p) => p[0]), ys = labels[i].poly.map((p) => p[1]);
        if (Math.min(...xs) < -1 || Math.min(...ys) < -1 || Math.max(...xs) > w + 1 || Math.max(...ys) > h + 1) clipped.push(labels[i].text);
        for (let j = i + 1; j < labels.length; j++) {
          if (!apart(labels[i].poly, labels[j].poly)) overlaps.push(`${labels[i].text} / ${labels[j].text}`);
        }
      }
      if (overlaps.length) add('chart-labels', `${describe(el)}: ${overlaps.length} overlaps, e.g. ${overlaps.slice(0, 3).join('; ')}`);
      if (clipped.length) add('chart-labels', `${describe(el)}: cut off at the edge: ${clipped.slice(0, 3).join('; ')}`);
    }
  }
  return problems;
}
