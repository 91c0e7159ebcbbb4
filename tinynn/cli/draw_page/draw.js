// tinynn draw: the drawing pad, and the network's answer as the learner draws.
// No framework and nothing from the network: the page asks only its own server.
"use strict";

const INK = 24;          // stroke width on the 280x280 pad (a digit's stroke in MNIST: ~1/8)
const DEBOUNCE_MS = 150; // ask the network this long after the last stroke moved

const pad = document.getElementById("pad");
const ink = pad.getContext("2d");
const seen = document.getElementById("seen");
const seenCtx = seen.getContext("2d");
const top3 = document.getElementById("top");
const status = document.getElementById("status");

let drawing = false;  // a stroke is under way
let last = null;      // where the stroke was
let inked = false;    // something is drawn
let timer = null;     // the pending request
let asked = 0;        // requests sent (numbered), and the newest one answered
let answered = 0;

function setState(state, message) {
  document.body.dataset.state = state;
  if (message !== undefined) status.textContent = message;
}

function clearPad() {
  ink.fillStyle = "#fff";
  ink.fillRect(0, 0, pad.width, pad.height);
  inked = false;
  drawing = false;
  last = null;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  answered = asked;  // an answer still on its way is for a drawing that is gone
  top3.replaceChildren();
  seenCtx.fillStyle = "#000";
  seenCtx.fillRect(0, 0, seen.width, seen.height);
  setState("empty", "Draw one digit, large, in the middle of the square.");
}

function where(event) {
  const box = pad.getBoundingClientRect();
  return {
    x: (event.clientX - box.left) * (pad.width / box.width),
    y: (event.clientY - box.top) * (pad.height / box.height),
  };
}

function stroke(from, to) {
  ink.strokeStyle = "#000";
  ink.lineWidth = INK;
  ink.lineCap = "round";
  ink.lineJoin = "round";
  ink.beginPath();
  ink.moveTo(from.x, from.y);
  ink.lineTo(to.x, to.y);
  ink.stroke();
  inked = true;
}

function later(delay) {
  if (timer !== null) clearTimeout(timer);
  setState("busy");
  timer = setTimeout(() => { timer = null; ask(); }, delay);
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  drawing = true;
  last = where(event);
  stroke(last, last);  // a dot
  later(DEBOUNCE_MS);
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const here = where(event);
  stroke(last, here);
  last = here;
  later(DEBOUNCE_MS);
});
function endStroke() {
  if (!drawing) return;
  drawing = false;
  later(0);
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);
document.getElementById("clear").addEventListener("click", clearPad);

function showAnswer(answer) {
  const rows = answer.top.map(({ digit, probability }) => {
    const li = document.createElement("li");
    li.dataset.digit = String(digit);
    li.dataset.probability = String(probability);
    const d = document.createElement("span");
    d.className = "digit";
    d.textContent = String(digit);
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.width = `${(100 * probability).toFixed(1)}%`;
    bar.append(fill);
    const p = document.createElement("span");
    p.className = "p";
    p.textContent = `${(100 * probability).toFixed(1)}%`;
    li.append(d, bar, p);
    return li;
  });
  top3.replaceChildren(...rows);
  const image = seenCtx.createImageData(28, 28);
  answer.image.forEach((v, i) => {
    image.data.set([v, v, v, 255], 4 * i);
  });
  seenCtx.putImageData(image, 0, 0);
}

function refused(message) {
  top3.replaceChildren();
  const li = document.createElement("li");
  li.className = "none";
  li.textContent = "no answer";
  top3.append(li);
  return message;
}

async function ask() {
  if (!inked) return;
  const n = ++asked;
  const blob = await new Promise((resolve) => pad.toBlob(resolve, "image/png"));
  const picture = await blob.arrayBuffer();  // the bytes, as the page sends them
  let state = "ready";
  let message = "The network's answer is on the right; draw on, or clear.";
  let answer = null;
  try {
    const response = await fetch("/predict", {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body: picture,
    });
    if (response.ok) {
      answer = await response.json();
    } else {
      state = "error";
      message = (await response.text()).trim();
    }
  } catch (error) {
    state = "error";
    message = `the server does not answer (${error.message}); is tinynn draw still running?`;
  }
  if (n <= answered) return;  // a newer drawing was answered, or the pad was cleared
  answered = n;
  if (answer !== null) showAnswer(answer);
  else message = refused(message);
  if (n === asked && timer === null) setState(state, message);  // else more is on its way
}

async function describe() {
  try {
    const info = await (await fetch("/info")).json();
    document.getElementById("run").textContent = `${info.run} (${info.model})`;
  } catch (error) {
    document.getElementById("run").textContent = "(unknown)";
  }
}

clearPad();
describe();
