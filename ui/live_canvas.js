// The live canvas (js_on_load of a gr.HTML; `element`, `props`, `server` and `watch` come from Gradio).
//
// The person draws black on white paper; the drawing, shrunk to the model's 256 px, goes with the
// current seed to the Python server function `face`, and the PNG it returns replaces the face image.
// During a stroke the face is refreshed at most every REFRESH_MS (less often when the server is slow,
// so that several people drawing at once leave it room for their pen-up faces), and once more on pointer-up; one
// request is in flight at a time, the next one always carries the latest drawing, and an answer
// for a drawing that was since undone, cleared, replaced or re-seeded is dropped. A call that fails or
// hangs (Gradio's client answers a failed call with `undefined`) is asked again: by the stroke's next
// move while drawing, else a few times, later each time. The face's title says so meanwhile, so a
// dropped request never leaves a stale face behind without a word.
// On a phone the face pane wraps below the canvas, so the face also shows in a thumbnail over a top corner of
// the canvas (CSS shows it on narrow screens only), which moves to the other corner when the pen comes under it.
// Other components talk to it through `props.value` (a drawing to load, as a data URL; the page
// sets it back to the current drawing after each change) and a `seed` event on #sketch.

const REFRESH_MS = 100;
const CALL_TIMEOUT_MS = 30000; // a call that has not answered by then counts as failed (its late answer is dropped)
const RETRIES = 6; // after a failed call with the pen up; the n-th waits RETRY_MS * 2^n, at most MAX_RETRY_MS
const RETRY_MS = 500;
const MAX_RETRY_MS = 10000; // six retries span about half a minute

const canvas = element.querySelector("#sketch canvas");
const SIDE = canvas.width; // twice the model's input, so strokes look smooth
const MODEL_SIDE = props.model_side;
const sketch = element.querySelector("#sketch");
const faceImage = element.querySelector("#face img");
const thumb = element.querySelector("#sketch .thumb"); // the face over the canvas, shown on phones only
const paperBox = element.querySelector("#sketch .paper");
const download = element.querySelector("#face a");
const faceTitle = element.querySelector("#face .title");
const TITLE = faceTitle.textContent;
const ctx = canvas.getContext("2d");
const small = document.createElement("canvas");
small.width = small.height = MODEL_SIDE;
const smallCtx = small.getContext("2d");
smallCtx.imageSmoothingQuality = "high";

let tool = { colour: "#000", width: Number(element.querySelector("[data-width][aria-pressed=true]").dataset.width) };
let actions = []; // strokes and loaded pictures (null = blank paper, i.e. clear), replayed to redraw
let undone = [];
let stroke = null; // the stroke being drawn
let seed = props.seed;
let edit = 0; // bumps on every change that makes an answer in flight stale (not on a stroke's growth)
let busy = false;
let wanted = false;
let lastSent = -Infinity;
let gap = REFRESH_MS; // between refreshes during a stroke: REFRESH_MS, or 1.5 round trips if longer
let timer = null;
let failures = 0; // calls failed in a row

function paper() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, SIDE, SIDE);
}

function drawSegment(s, i) {
  const [x0, y0] = s.points[Math.max(i - 1, 0)];
  const [x1, y1] = s.points[i];
  ctx.strokeStyle = s.colour;
  ctx.lineWidth = s.width;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

function redraw() {
  let start = actions.findLastIndex((a) => a.picture !== undefined);
  paper();
  if (start >= 0 && actions[start].picture) ctx.drawImage(actions[start].picture, 0, 0, SIDE, SIDE);
  for (const a of actions.slice(start + 1)) a.points.forEach((_, i) => drawSegment(a, i));
}

function drawing() {
  smallCtx.drawImage(canvas, 0, 0, MODEL_SIDE, MODEL_SIDE);
  return small.toDataURL("image/png");
}

// --- faces -----------------------------------------------------------------------------------

function requestFace(now) {
  wanted = true;
  clearTimeout(timer);
  const wait = now ? 0 : lastSent + gap - performance.now();
  if (wait > 0) timer = setTimeout(send, wait);
  else send();
}

async function send() {
  if (busy || !wanted) return;
  busy = true;
  wanted = false;
  lastSent = performance.now();
  const sentEdit = edit;
  const url = await call(drawing(), seed);
  busy = false;
  if (typeof url !== "string") return retry();
  gap = Math.max(REFRESH_MS, 1.5 * (performance.now() - lastSent));
  failures = 0;
  faceTitle.textContent = TITLE;
  if (sentEdit === edit) {
    faceImage.src = thumb.src = url;
    download.href = url;
  }
  if (wanted) requestFace(!stroke);
}

function call(drawing, seed) {
  let deadline;
  const timeout = new Promise((resolve) => (deadline = setTimeout(resolve, CALL_TIMEOUT_MS)));
  const answer = server.face({ drawing, seed }).catch(() => undefined);
  return Promise.race([answer, timeout]).finally(() => clearTimeout(deadline));
}

function retry() {
  faceTitle.textContent = `${TITLE}: no answer from the server, trying again…`;
  wanted = true;
  if (stroke) return; // the stroke's next move or its pen-up asks again
  failures += 1;
  clearTimeout(timer);
  if (failures > RETRIES) {
    faceTitle.textContent = `${TITLE}: the server did not answer (draw on to try again)`;
    failures = 0;
    wanted = false;
    return;
  }
  timer = setTimeout(send, Math.min(RETRY_MS * 2 ** failures, MAX_RETRY_MS));
}

function changed() {
  edit += 1;
  redraw();
  props.value = drawing(); // for Python events that take the drawing (samples)
  requestFace(true);
}

// --- drawing ---------------------------------------------------------------------------------

// The thumbnail lets strokes through to the canvas but hides them: it moves to the other top corner
// when the pen comes under it.
function dodge(e) {
  if (!thumb.offsetParent) return; // not shown (wide screens)
  const box = thumb.getBoundingClientRect();
  if (e.clientX >= box.left && e.clientX <= box.right && e.clientY >= box.top && e.clientY <= box.bottom) {
    paperBox.dataset.corner = paperBox.dataset.corner === "left" ? "right" : "left";
  }
}

function point(e) {
  const box = canvas.getBoundingClientRect();
  return [((e.clientX - box.left) * SIDE) / box.width, ((e.clientY - box.top) * SIDE) / box.height];
}

canvas.addEventListener("pointerdown", (e) => {
  if (e.button !== 0 || stroke) return;
  e.preventDefault();
  canvas.setPointerCapture(e.pointerId); // the stroke goes on when the pen leaves the canvas
  dodge(e);
  stroke = { ...tool, pointer: e.pointerId, points: [point(e)] };
  actions.push(stroke);
  undone = [];
  edit += 1;
  drawSegment(stroke, 0);
  requestFace(false);
});

canvas.addEventListener("pointermove", (e) => {
  if (!stroke || e.pointerId !== stroke.pointer) return; // a second finger does not draw
  dodge(e);
  for (const c of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) {
    stroke.points.push(point(c));
    drawSegment(stroke, stroke.points.length - 1);
  }
  requestFace(false);
});

function endStroke(e) {
  if (!stroke || e.pointerId !== stroke.pointer) return;
  stroke = null;
  props.value = drawing();
  requestFace(true);
}
canvas.addEventListener("pointerup", endStroke);
canvas.addEventListener("pointercancel", endStroke);
canvas.addEventListener("lostpointercapture", endStroke);

// --- tools -----------------------------------------------------------------------------------

function choose(button) {
  element.querySelectorAll("[data-width]").forEach((b) => b.setAttribute("aria-pressed", b === button));
  tool = { colour: button.dataset.eraser ? "#fff" : "#000", width: Number(button.dataset.width) };
}

function undo() {
  if (stroke || !actions.length) return;
  undone.push(actions.pop());
  changed();
}

function redo() {
  if (stroke || !undone.length) return;
  actions.push(undone.pop());
  changed();
}

function clear() {
  if (stroke || !actions.length || actions.at(-1).picture === null) return;
  actions.push({ picture: null });
  undone = [];
  changed();
}

element.querySelectorAll("[data-width]").forEach((b) => b.addEventListener("click", () => choose(b)));
element.querySelector("[data-action=undo]").addEventListener("click", undo);
element.querySelector("[data-action=redo]").addEventListener("click", redo);
element.querySelector("[data-action=clear]").addEventListener("click", clear);

document.addEventListener("keydown", (e) => {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.target.closest("input, textarea, select, [contenteditable]")) return;
  const key = e.key.toLowerCase();
  if (key === "z" && !e.shiftKey) undo();
  else if ((key === "z" && e.shiftKey) || key === "y") redo();
  else return;
  e.preventDefault();
});

// --- other components ------------------------------------------------------------------------

sketch.addEventListener("seed", (e) => {
  seed = e.detail;
  edit += 1;
  requestFace(true);
});

watch("value", () => {
  const url = props.value;
  if (!url) return;
  const picture = new Image();
  picture.onload = () => {
    actions.push({ picture });
    undone = [];
    changed();
  };
  picture.src = url;
});

// Gradio keeps its loading overlay over the component for a moment after this script runs (70-150 ms on a
// 2-core machine, longer under load); a stroke begun under it never reaches the canvas. So the canvas says
// it is ready only once the pen would reach it (or when it is scrolled out of view, where that cannot be told).
function markReady() {
  const box = canvas.getBoundingClientRect();
  const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
  const visible = x >= 0 && y >= 0 && x < window.innerWidth && y < window.innerHeight;
  if (!visible || document.elementFromPoint(x, y) === canvas) sketch.dataset.ready = "true";
  else requestAnimationFrame(markReady);
}

paper();
markReady(); // the pen works from then on (tests and scripts wait for #sketch[data-ready])
