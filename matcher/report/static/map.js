// The report's interactive map (matcher/report/_map.py writes its data and controls).
// Plain JavaScript, no library, nothing from the network: it reads the JSON blob
// #map-data, fills the empty <svg id="map-svg"> with one element per record and
// redraws them in screen pixels whenever the view (centre in km, pixels per km) changes.
(function () {
  "use strict";
  var holder = document.getElementById("map");
  var blob = document.getElementById("map-data");
  var svg = document.getElementById("map-svg");
  if (!holder || !blob || !svg) { return; }
  var data = JSON.parse(blob.textContent);
  var ns = svg.namespaceURI;
  var info = document.getElementById("map-info");
  var select = document.getElementById("map-community");
  var layers = data.layers;
  var on = layers.map(function () { return true; });
  var PAIRS = 1; // layer index of the pairs (see _map._layers)
  var community = -1; // -1: every community
  var vols = rows(data.volunteers, "volunteer");
  var needs = rows(data.needs, "need");
  var pairs = data.pairs;
  pairs.forEach(function (p, i) { vols[p[0]].pairs.push(i); needs[p[1]].pairs.push(i); });
  var view = { cx: 0, cy: 0, k: 1 };
  var limits = { min: 1e-9, max: 1e9 };
  var pinned = null, hovered = null, pending = false;

  function rows(table, kind) {
    return table.rows.map(function (r, i) {
      var o = { kind: kind, index: i, pairs: [] };
      table.fields.forEach(function (f, j) { o[f] = r[j]; });
      return o;
    });
  }

  function el(name, attrs, parent) {
    var node = document.createElementNS(ns, name);
    Object.keys(attrs).forEach(function (a) { node.setAttribute(a, attrs[a]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  holder.hidden = false; // shown before it is measured
  var pairPath = el("path", { "class": "map-pairs", stroke: layers[PAIRS].color }, svg);
  var hiPath = el("path", { "class": "map-partners" }, svg);
  var marksGroup = el("g", { "class": "map-marks" }, svg);
  var ring = el("circle", { "class": "map-ring", r: 10, display: "none" }, svg);
  var bar = el("g", { "class": "map-scale" }, svg);
  var barPath = el("path", { d: "" }, bar);
  var barText = el("text", { x: 0, y: 0 }, bar);

  // Volunteers first (below), then needs by layer: the unserved on top.
  var marks = [];
  function addMark(rec) {
    var layer = layers[rec.layer];
    var node = el("path", { "class": "mk", d: layer.d, fill: layer.color }, marksGroup);
    if (layer.stroke) { node.setAttribute("stroke", layer.stroke); }
    node.dataset.kind = rec.kind;
    node.dataset.id = rec.id;
    rec.node = node;
    marks.push(rec);
  }
  vols.forEach(addMark);
  needs.slice().sort(function (a, b) { return a.layer - b.layer || a.index - b.index; })
    .forEach(addMark);
  var byNode = new Map(marks.map(function (m) { return [m.node, m]; }));

  function inCommunity(rec) { return community < 0 || rec.community === community; }
  function visible(rec) { return on[rec.layer] && inCommunity(rec); }
  function pairVisible(p) {
    return on[PAIRS] && (inCommunity(vols[p[0]]) || inCommunity(needs[p[1]]));
  }
  function size() { return { w: svg.clientWidth || 800, h: svg.clientHeight || 540 }; }
  function px(v) { return Math.round(v * 10) / 10; }

  function draw() {
    var s = size(), k = view.k;
    svg.setAttribute("viewBox", "0 0 " + s.w + " " + s.h);
    function sx(x) { return px(s.w / 2 + (x - view.cx) * k); }
    function sy(y) { return px(s.h / 2 - (y - view.cy) * k); }
    var shown = 0;
    marks.forEach(function (m) {
      var vis = visible(m);
      if (vis) {
        m.node.setAttribute("transform", "translate(" + sx(m.x) + " " + sy(m.y) + ")");
        shown += 1;
      }
      m.node.style.display = vis ? "" : "none";
    });
    function line(p) {
      var v = vols[p[0]], n = needs[p[1]];
      return "M" + sx(v.x) + " " + sy(v.y) + "L" + sx(n.x) + " " + sy(n.y);
    }
    pairPath.setAttribute("d", pairs.filter(pairVisible).map(line).join(""));
    var focus = pinned || hovered;
    hiPath.setAttribute("d", focus ? focus.pairs.map(function (i) { return line(pairs[i]); }).join("") : "");
    ring.setAttribute("display", pinned && visible(pinned) ? "" : "none");
    if (pinned) { ring.setAttribute("cx", sx(pinned.x)); ring.setAttribute("cy", sy(pinned.y)); }
    drawScale(s);
    holder.dataset.shown = String(shown);
  }

  // At most one draw a frame; the timer draws when frames do not come (hidden or headless page).
  function redraw() {
    if (pending) { return; }
    pending = true;
    var done = function () { if (pending) { pending = false; draw(); } };
    window.requestAnimationFrame(done);
    window.setTimeout(done, 50);
  }

  // A bar of 1, 2 or 5 x 10^n km, at most 140 px long, bottom left.
  function drawScale(s) {
    var most = 140 / view.k;
    var unit = Math.pow(10, Math.floor(Math.log(most) / Math.LN10));
    var km = [5, 2, 1].map(function (f) { return f * unit; })
      .filter(function (v) { return v <= most; })[0] || unit;
    var len = px(km * view.k), x = 14, y = s.h - 14;
    barPath.setAttribute("d", "M" + x + " " + (y - 6) + "V" + y + "H" + (x + len) + "V" + (y - 6));
    barText.setAttribute("x", x + len / 2);
    barText.setAttribute("y", y - 9);
    barText.textContent = km >= 1 ? Number(km.toPrecision(3)) + " km"
      : Number((km * 1000).toPrecision(3)) + " m";
    bar.dataset.km = String(km);
  }

  function bounds(list) {
    var b = null;
    list.forEach(function (r) {
      if (!b) { b = [r.x, r.x, r.y, r.y]; return; }
      b[0] = Math.min(b[0], r.x); b[1] = Math.max(b[1], r.x);
      b[2] = Math.min(b[2], r.y); b[3] = Math.max(b[3], r.y);
    });
    return b;
  }

  function fit(b) {
    if (!b) { return; }
    var s = size(), pad = 28;
    var w = Math.max(b[1] - b[0], 0.05), h = Math.max(b[3] - b[2], 0.05); // at least 50 m
    view.k = Math.min((s.w - 2 * pad) / w, (s.h - 2 * pad) / h);
    view.cx = (b[0] + b[1]) / 2;
    view.cy = (b[2] + b[3]) / 2;
  }

  function zoom(factor, sx, sy) {
    var s = size();
    if (sx === undefined) { sx = s.w / 2; sy = s.h / 2; }
    var x = view.cx + (sx - s.w / 2) / view.k, y = view.cy - (sy - s.h / 2) / view.k;
    var k = Math.min(Math.max(view.k * factor, limits.min), limits.max);
    view.cx = x - (sx - s.w / 2) / k;
    view.cy = y + (sy - s.h / 2) / k;
    view.k = k;
    redraw();
  }

  function pan(dx, dy) { view.cx -= dx / view.k; view.cy += dy / view.k; redraw(); }

  function fitVisible() { fit(bounds(marks.filter(visible)) || bounds(marks)); }

  // --- what a point is: ids, category, slot, partners
  function communityName(i) { return i >= 0 ? data.communities[i] : "none"; }
  function describe(rec) {
    var head, parts, partners;
    if (rec.kind === "need") {
      head = "Need " + rec.id;
      parts = ["category " + rec.category, "slot " + (rec.slot || "any"),
        "priority " + rec.priority, "demand " + rec.demand,
        "community " + communityName(rec.community)];
      if (rec.building) { parts.push("building " + rec.building); }
      partners = rec.pairs.map(function (i) {
        return vols[pairs[i][0]].id + " (" + pairs[i][2] + " km)";
      });
      var said = partners.length ? "served by " + partners.join(", ") : "served by no one";
      var layer = layers[rec.layer];
      if (rec.missing > 0) {
        said += "; " + rec.missing + " of " + rec.demand + " unserved: " + layer.text;
      }
      return [head, parts.join(" · "), said];
    }
    head = "Volunteer " + rec.id;
    parts = ["community " + communityName(rec.community), "capacity " + rec.capacity];
    if (rec.unit) { parts.push("unit " + rec.unit); }
    partners = rec.pairs.map(function (i) {
      var n = needs[pairs[i][1]];
      return n.id + " (" + n.category + ", slot " + (n.slot || "any") + ", " + pairs[i][2] + " km)";
    });
    return [head, parts.join(" · "), partners.length ? "serves " + partners.join("; ") : "serves no need"];
  }

  var help = info ? info.textContent : "";
  function show(rec) {
    if (!info) { return; }
    info.textContent = "";
    if (!rec) { info.textContent = help; return; }
    var lines = describe(rec);
    var b = document.createElement("strong");
    b.textContent = lines[0];
    info.appendChild(b);
    lines.slice(1).forEach(function (t) {
      var span = document.createElement("span");
      span.textContent = t;
      info.appendChild(span);
    });
  }

  // --- pointer: drag pans, wheel zooms, hover shows, click keeps
  var drag = null;
  function capture(e, take) { // the drag goes on outside the map; no pointer, no capture
    try {
      if (take) { svg.setPointerCapture(e.pointerId); } else { svg.releasePointerCapture(e.pointerId); }
    } catch (err) { return; }
  }
  svg.addEventListener("pointerdown", function (e) {
    drag = { x: e.clientX, y: e.clientY, moved: false, target: byNode.get(e.target) || null };
    capture(e, true);
  });
  svg.addEventListener("pointermove", function (e) {
    if (drag) {
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (drag.moved || Math.abs(dx) + Math.abs(dy) > 3) {
        drag.moved = true;
        holder.classList.add("dragging");
        drag.x = e.clientX; drag.y = e.clientY;
        pan(dx, dy);
      }
      return;
    }
    var rec = byNode.get(e.target) || null;
    if (rec !== hovered) { hovered = rec; show(rec || pinned); redraw(); }
  });
  svg.addEventListener("pointerup", function (e) {
    if (!drag) { return; }
    if (!drag.moved) { pinned = drag.target; hovered = null; show(pinned); redraw(); }
    drag = null;
    holder.classList.remove("dragging");
    capture(e, false);
  });
  svg.addEventListener("pointerleave", function () {
    if (!drag && hovered) { hovered = null; show(pinned); redraw(); }
  });
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    var step = e.deltaMode ? e.deltaY * 33 : e.deltaY; // lines -> pixels
    zoom(Math.exp(-step * 0.002), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  svg.addEventListener("keydown", function (e) {
    var keys = { "+": [1.5], "=": [1.5], "-": [1 / 1.5], "_": [1 / 1.5] };
    var moves = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] };
    if (keys[e.key]) { zoom(keys[e.key][0]); } else if (moves[e.key]) {
      pan(moves[e.key][0], moves[e.key][1]);
    } else if (e.key === "0") { fitVisible(); redraw(); } else { return; }
    e.preventDefault();
  });

  // --- buttons, layers, community
  holder.querySelectorAll("button[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      var what = b.dataset.zoom;
      if (what === "in") { zoom(1.5); } else if (what === "out") { zoom(1 / 1.5); } else {
        if (what === "view" && data.view) { fit(data.view); } else { fitVisible(); }
        redraw();
      }
    });
  });
  holder.querySelectorAll("input[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () { on[Number(box.dataset.layer)] = box.checked; redraw(); });
  });
  if (select) {
    select.addEventListener("change", function () {
      community = select.value === "" ? -1 : Number(select.value);
      fitVisible();
      redraw();
    });
  }
  window.addEventListener("resize", redraw);

  fit(bounds(marks));
  limits = { min: view.k / 10, max: view.k * 10000 };
  if (data.view) { fit(data.view); }
  draw();
  holder.dataset.marks = String(marks.length);
  holder.dataset.ready = "1";
})();
