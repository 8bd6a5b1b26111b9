"use strict";
// What the console and the package pages share: the token, messages, API calls, DOM helpers.
// Loaded before console.js and the package script; data is written with textContent only.

const TOKEN_KEY = "qcflow-token";

function token() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function claims() {
  try {
    const part = token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch (error) {
    return {};
  }
}

function say(text, kind) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = "message " + (kind || "ok");
  box.hidden = false;
}

async function call(method, path, body, contentType) {
  const headers = { Authorization: "Bearer " + token() };
  if (body !== undefined) headers["Content-Type"] = contentType || "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined || contentType ? body : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    say(data.detail || "操作失败（" + response.status + "）", "error");
    if (response.status === 401) document.getElementById("login").hidden = false;
    throw new Error(data.detail);
  }
  return data;
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  return node;
}

function row(cells) {
  const tr = el("tr");
  cells.forEach((cell) => {
    const td = el("td");
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell ?? "";
    tr.appendChild(td);
  });
  return tr;
}

async function download(path, filename) {
  const response = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
  if (!response.ok) { say((await response.json()).detail || "下载失败", "error"); return; }
  const url = URL.createObjectURL(await response.blob());
  const anchor = el("a", null, { href: url, download: filename });
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  URL.revokeObjectURL(url);
}
