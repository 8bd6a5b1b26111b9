"use strict";
// The reviewer console: small pages over the JSON API. Data is written with textContent only.

const page = document.body.dataset.page;
const subjectId = document.body.dataset.id;

function checkbox(value) { return el("input", null, { type: "checkbox", value, "aria-label": "选择" }); }
function checked(container) {
  return [...document.querySelectorAll(container + " input[type=checkbox]:checked")].map((c) => c.value);
}
function link(text, href) { return el("a", text, { href }); }
function localToIso(value) { return value ? new Date(value).toISOString() : null; }

const STATUS = {
  awaiting_screening: "待形式审查", returned: "已退回修改", rejected: "不予受理", accepted: "评审中",
  scored: "已评分", pending_approval: "超名额待批准", recommended: "已推荐至全国",
  national_scored: "全国评审已评分", public_notice: "公示中", awarded: "全国优秀质量管理小组",
  not_awarded: "未获评", withdrawn: "已撤回", disqualified: "推荐资格已取消",
};

const ACTIONS = {
  "screening.accept": "形式审查：受理", "screening.return": "形式审查：退回修改",
  "screening.reject": "形式审查：不予受理", "assignment.created": "分配专家",
  "assignment.scored": "专家评分", "assignment.recused": "专家回避", "scores.aggregated": "汇总评分",
  "recommendation.sent": "推荐至全国", "recommendation.requested_over_quota": "超名额推荐申请",
  "recommendation.over_quota_refused": "超名额推荐未获批准", "award.decided": "全国评审决定",
  "award.final": "结果确定", "objection.raised": "登记异议", "objection.resolved": "处理异议",
  "application.disqualified": "推荐资格取消", withdrawn: "申报人撤回",
};

async function queuePage() {
  const form = document.getElementById("filters");
  async function load() {
    const params = new URLSearchParams([...new FormData(form)].filter(([, v]) => v));
    const entries = await call("GET", "/api/entries?" + params);
    const body = document.getElementById("entries");
    body.replaceChildren(...entries.map((e) => row([
      checkbox(e.application_id), e.enterprise_name,
      link(e.group_name, "/console/entries/" + e.application_id), e.topic_name, e.topic_type,
      e.unit_id, STATUS[e.status] || e.status, e.national_score || e.unit_score || "",
    ])));
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  document.getElementById("auto-assign").addEventListener("click", async () => {
    const ids = checked("#entries");
    const perEntry = Number(document.getElementById("per-entry").value);
    const made = await call("POST", "/api/assignments/auto", { per_entry: perEntry, application_ids: ids });
    say("已自动分配 " + made.length + " 项评审任务。");
    load();
  });
  await load();
}

async function entryPage() {
  const entry = await call("GET", "/api/entries/" + subjectId);
  const list = document.getElementById("entry");
  const fields = [["企业名称", entry.enterprise_name], ["小组名称", entry.group_name],
    ["课题名称", entry.topic_name], ["课题类型", entry.topic_type],
    ["状态", STATUS[entry.status] || entry.status], ["本级得分", entry.unit_score || "—"],
    ["全国得分", entry.national_score || "—"]];
  list.replaceChildren(...fields.flatMap(([k, v]) => [el("dt", k), el("dd", v, { "data-field": k })]));
  const files = await call("GET", "/api/entries/" + subjectId + "/files");
  document.getElementById("files").replaceChildren(...files.map((f) => {
    const item = el("li", f.filename + "（" + f.kind + "，" + Math.ceil(f.size / 1024) + " KB） ");
    const button = el("button", "下载");
    button.addEventListener("click", () => download("/api/entries/" + subjectId + "/files/" + f.file_id, f.filename));
    item.appendChild(button);
    return item;
  }));
  const revisions = await call("GET", "/api/entries/" + subjectId + "/revisions");
  document.getElementById("revisions").replaceChildren(
    ...revisions.map((r) => el("li", "第" + r.revision + "版 " + new Date(r.submitted_at).toLocaleString("zh-CN"))));
  await loadAssignments();
  const audit = await call("GET", "/api/audit?application_id=" + subjectId).catch(() => []);
  document.getElementById("audit").replaceChildren(...audit.map((a) => row([
    new Date(a.at).toLocaleString("zh-CN"), a.actor_name || a.actor_id, ACTIONS[a.action] || a.action, a.reason])));
  const reviewers = await call("GET", "/api/reviewers").catch(() => []);
  document.getElementById("reviewer").replaceChildren(
    ...reviewers.map((r) => el("option", r.name + "（" + r.user_id + "）", { value: r.user_id })));
}

async function loadAssignments() {
  const assignments = await call("GET", "/api/assignments?application_id=" + subjectId).catch(() => []);
  document.getElementById("assignments").replaceChildren(...assignments.map((a) => row([
    a.reviewer_user_id, a.sheet_id, a.status, a.total || ""])));
}

function wireEntryActions() {
  document.querySelectorAll("#screening button").forEach((button) => button.addEventListener("click", async () => {
    const reasons = checked("#screening").map((code) => ({
      code, note: document.querySelector("[name=note-" + code + "]").value }));
    const entry = await call("POST", "/api/entries/" + subjectId + "/screening", {
      outcome: button.dataset.outcome, reasons,
      correction_deadline_at: localToIso(document.getElementById("correction-deadline").value),
      comment: document.getElementById("screening-comment").value,
    });
    say("形式审查结论已保存：" + (STATUS[entry.status] || entry.status));
    entryPage();
  }));
  document.getElementById("assign-reviewer").addEventListener("click", async () => {
    await call("POST", "/api/entries/" + subjectId + "/assignments",
      { reviewer_user_id: document.getElementById("reviewer").value });
    say("已分配评审专家。");
    loadAssignments();
  });
  document.getElementById("aggregate").addEventListener("click", async () => {
    const result = await call("POST", "/api/entries/" + subjectId + "/aggregate",
      { rule: document.getElementById("rule").value });
    const text = "最终得分 " + result.final_score + "（" + result.score_count + " 位专家，"
      + (result.method === "trimmed_mean" ? "去掉最高最低分后平均" : "算术平均") + "）";
    const out = document.getElementById("aggregate-result");
    out.textContent = text;
    if (result.spread_alert) out.appendChild(el("span", " 专家评分分差 " + result.spread + " 超过预警阈值", { class: "alert" }));
    entryPage();
  });
}

async function assignmentPage() {
  const [assignment] = (await call("GET", "/api/assignments")).filter((a) => a.assignment_id === subjectId);
  if (!assignment) { say("该评审任务不存在或不属于您。", "error"); return; }
  const sheets = await call("GET", "/api/score-sheets");
  const sheet = sheets.find((s) => s.sheet_id === assignment.sheet_id);
  const entry = await call("GET", "/api/entries/" + assignment.application_id);
  document.getElementById("assignment-entry").textContent =
    entry.enterprise_name + " " + entry.group_name + "：" + entry.topic_name + "（" + sheet.title + "）";
  document.getElementById("sheet-max").textContent = sheet.maximum;
  const body = document.getElementById("criteria");
  body.replaceChildren(...sheet.criteria.map((c) => row([
    c.label, c.maximum,
    el("input", null, { type: "number", step: "0.5", min: "0", max: c.maximum, name: c.code,
      "aria-label": c.label, value: assignment.marks[c.code] || "" }),
    el("input", null, { name: "comment-" + c.code, "aria-label": c.label + "评语", size: "30" }),
  ])));
  const total = () => {
    const sum = sheet.criteria.reduce((acc, c) => acc + (Number(document.querySelector("[name=" + c.code + "]").value) || 0), 0);
    document.getElementById("running-total").textContent = sum.toFixed(2);
  };
  body.addEventListener("input", total);
  total();
  document.getElementById("score-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const marks = {}; const comments = {};
    sheet.criteria.forEach((c) => {
      marks[c.code] = document.querySelector("[name=" + c.code + "]").value;
      comments[c.code] = document.querySelector("[name=comment-" + c.code + "]").value;
    });
    const saved = await call("POST", "/api/assignments/" + subjectId + "/scores", { marks, comments });
    say("评分已提交，合计 " + saved.total + " 分。");
  });
  document.getElementById("recuse").addEventListener("click", async () => {
    const reason = prompt("回避理由");
    if (!reason) return;
    await call("POST", "/api/assignments/" + subjectId + "/recusal", { reason });
    say("已回避。");
  });
}

async function quotasPage() {
  const units = await call("GET", "/api/units");
  document.getElementById("units").replaceChildren(...units.map((u) => {
    const input = el("input", null, { type: "number", min: "0", value: u.quota ?? "", "aria-label": u.unit_name + "名额", size: "4" });
    const save = el("button", "保存");
    save.addEventListener("click", async () => {
      await call("PUT", "/api/units/" + u.unit_id + "/campaigns/" + u.campaign_id + "/quota", { quota: Number(input.value) });
      say(u.unit_name + " 名额已设为 " + input.value + "。");
    });
    return row([u.unit_name, u.campaign_id, new Date(u.deadline_at).toLocaleString("zh-CN"),
      new Date(u.national_deadline_at).toLocaleString("zh-CN"), input,
      u.disqualified_reason ? "已取消：" + u.disqualified_reason : "正常", save]);
  }));
}

async function recommendationsPage() {
  async function load() {
    const entries = (await call("GET", "/api/entries")).filter((e) => e.unit_score);
    document.getElementById("candidates").replaceChildren(...entries.map((e) => row([
      e.status === "scored" ? checkbox(e.application_id) : "", e.enterprise_name, e.group_name,
      e.topic_name, e.unit_score, STATUS[e.status] || e.status])));
  }
  document.getElementById("recommend").addEventListener("click", async () => {
    const result = await call("POST", "/api/recommendations", {
      application_ids: checked("#candidates"), justification: document.getElementById("justification").value });
    say("已推荐 " + result.filter((e) => e.status === "recommended").length + " 项，待批准 "
      + result.filter((e) => e.status === "pending_approval").length + " 项。");
    load();
  });
  await load();
}

function noticeActions(entry, reload) {
  if (entry.status !== "public_notice") return "";
  const objection = el("button", "登记异议");
  objection.addEventListener("click", async () => {
    const text = prompt("异议内容"); if (!text) return;
    const raisedBy = prompt("异议人") || "匿名";
    await call("POST", "/api/entries/" + entry.application_id + "/objections", { raised_by: raisedBy, text });
    say("异议已登记，处理后方可确定结果。");
  });
  const finalise = el("button", "公示期满，确定结果");
  finalise.addEventListener("click", async () => {
    await call("POST", "/api/awards/finalise", { application_ids: [entry.application_id] });
    say("结果已确定。");
    reload();
  });
  const box = el("span");
  box.append(objection, finalise);
  return box;
}

async function awardsPage() {
  async function load() {
    const all = await call("GET", "/api/entries");
    const pending = all.filter((e) => e.status === "pending_approval");
    const entries = all.filter((e) => e.status !== "pending_approval");
    document.getElementById("pending-approvals").replaceChildren(...pending.map((e) => {
      const approve = el("button", "批准");
      const refuse = el("button", "不批准");
      const decide = (ok) => async () => {
        const reason = ok ? "" : prompt("不批准的理由");
        if (!ok && !reason) return;
        await call("POST", "/api/recommendations/" + e.application_id + "/approval", { approve: ok, reason: reason || "" });
        say(ok ? "已批准超名额推荐。" : "已退回本单位。");
        load();
      };
      approve.addEventListener("click", decide(true));
      refuse.addEventListener("click", decide(false));
      const actions = el("span");
      actions.append(approve, refuse);
      return row([e.unit_id, e.enterprise_name, e.group_name, e.unit_score, e.rank, actions]);
    }));
    document.getElementById("national-entries").replaceChildren(...entries.map((e) => row([
      e.status === "national_scored" ? checkbox(e.application_id) : noticeActions(e, load), e.unit_id, e.enterprise_name,
      e.group_name, e.unit_score, e.national_score || "", STATUS[e.status] || e.status, e.certificate_serial || ""])));
  }
  document.querySelectorAll("button[data-decision]").forEach((button) => button.addEventListener("click", async () => {
    const decisions = checked("#national-entries").map((id) => ({ application_id: id, decision: button.dataset.decision }));
    const done = await call("POST", "/api/awards", {
      decisions, public_notice_until: localToIso(document.getElementById("notice-until").value) });
    say("已作出 " + done.length + " 项决定。");
    load();
  }));
  await load();
}

document.getElementById("save-token").addEventListener("click", () => {
  sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
  location.reload();
});

async function reviewersPage() {
  async function load() {
    const reviewers = await call("GET", "/api/reviewers");
    document.getElementById("reviewers").replaceChildren(...reviewers.map((r) => row([
      r.user_id, r.name, r.email, r.enterprise_id, r.conflict_enterprise_ids.join("、")])));
  }
  const form = document.getElementById("reviewer-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    data.conflict_enterprise_ids = data.conflict_enterprise_ids.split(/[,，、\s]+/).filter(Boolean);
    await call("PUT", "/api/reviewers", data);
    say("已保存专家 " + data.name + "。");
    form.reset();
    load();
  });
  await load();
}

const PAGES = { queue: queuePage, reviewers: reviewersPage, entry: entryPage, assignment: assignmentPage, quotas: quotasPage,
  recommendations: recommendationsPage, awards: awardsPage };
if (!token()) {
  document.getElementById("login").hidden = false;
} else {
  if (page === "entry") wireEntryActions();
  PAGES[page]().catch(() => {});
  qcNotifications.mount({ token });
}
