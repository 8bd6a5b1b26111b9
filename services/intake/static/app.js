"use strict";
// Applicant pages: every action goes through the JSON API with the token from sessionStorage.
const qc = (() => {
  const TOKEN = "qcflow-token";
  const $ = (selector) => document.querySelector(selector);
  const token = () => sessionStorage.getItem(TOKEN);

  function show(text, ok = false) {
    const box = $("#message");
    box.textContent = text;
    box.className = ok ? "ok" : "";
    box.hidden = !text;
  }

  async function api(path, { method = "GET", body, headers = {} } = {}) {
    const init = { method, headers: { ...headers } };
    if (token()) init.headers.Authorization = `Bearer ${token()}`;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401 && !path.endsWith("/login")) location.href = "/pages/login";
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  }

  function requireLogin() {
    if (!token()) location.href = "/pages/login";
    const logout = $("#logout");
    if (logout) logout.onclick = () => sessionStorage.removeItem(TOKEN);
  }

  function text(selector, value) {
    const node = $(selector);
    if (node) node.textContent = value ?? "";
  }

  function memberRow(member = {}) {
    const row = document.createElement("div");
    row.className = "member";
    const fields = [["name", "姓名"], ["role", "角色"], ["gender", "性别"], ["title", "职称"], ["department", "部门"]];
    for (const [name, label] of fields) {
      let input;
      if (name === "role") {
        input = document.createElement("select");
        for (const role of ["组长", "成员", "顾问"]) input.add(new Option(role, role));
      } else {
        input = document.createElement("input");
        input.placeholder = label;
      }
      input.name = `member-${name}`;
      input.value = member[name] ?? (name === "role" ? "成员" : "");
      row.append(input);
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "删除";
    remove.onclick = () => row.remove();
    row.append(remove);
    $("#members").append(row);
  }

  function readMembers() {
    return [...document.querySelectorAll("#members .member")].map((row) => {
      const value = (name) => row.querySelector(`[name=member-${name}]`).value.trim();
      return { name: value("name"), role: value("role"), gender: value("gender"), title: value("title"), department: value("department") };
    });
  }

  function showProblems(detail) {
    const list = $("#field-errors");
    list.replaceChildren();
    document.querySelectorAll(".invalid").forEach((node) => node.classList.remove("invalid"));
    for (const problem of String(detail || "").split("；").filter(Boolean)) {
      const item = document.createElement("li");
      item.textContent = problem;
      list.append(item);
      const label = [...document.querySelectorAll("#application-form label")].find(
        (node) => problem.startsWith(node.firstChild.textContent.trim().split("（")[0]));
      if (label) label.querySelector("input,select,textarea").classList.add("invalid");
    }
  }

  function showWarnings(warnings) {
    const list = $("#warnings");
    list.replaceChildren(...(warnings || []).map((warning) => {
      const item = document.createElement("li");
      item.textContent = warning;
      return item;
    }));
  }

  const INLINE_RULES = {
    postal_code: [/^\d{6}$/, "邮编：应为6位数字。"],
    mobile: [/^1[3-9]\d{9}$/, "手机：应为11位大陆手机号。"],
  };

  function inlineValidation(form) {
    for (const [name, [pattern, message]] of Object.entries(INLINE_RULES)) {
      const input = form.elements[name];
      input.addEventListener("blur", () => {
        const bad = input.value !== "" && !pattern.test(input.value.trim());
        input.classList.toggle("invalid", bad);
        input.title = bad ? message : "";
        showProblems(bad ? message : "");
      });
    }
  }

  function readForm(form) {
    const value = (name) => form.elements[name].value.trim();
    return {
      enterprise_name: value("enterprise_name"), group_name: value("group_name"),
      topic_name: value("topic_name"), topic_type: value("topic_type"),
      target_kind: value("target_kind") || null, address: value("address"),
      postal_code: value("postal_code"), contact_department: value("contact_department"),
      contact_person: value("contact_person"), mobile: value("mobile"),
      members: readMembers(), summary: value("summary"),
    };
  }

  function fillForm(form, values) {
    for (const [name, value] of Object.entries(values)) {
      if (form.elements[name] && typeof value !== "object") form.elements[name].value = value ?? "";
    }
    $("#members").replaceChildren();
    (values.members || []).forEach(memberRow);
  }

  async function download(url, filename) {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
    if (!response.ok) return show("文件尚未生成，请稍后刷新。");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = filename;
    link.click();
  }

  function uploadWithProgress(applicationId, file, kind, onDone) {
    const request = new XMLHttpRequest();
    const query = new URLSearchParams({ filename: file.name, kind });
    request.open("POST", `/api/applications/${applicationId}/files?${query}`);
    request.setRequestHeader("Authorization", `Bearer ${token()}`);
    request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) $("#upload-progress").value = Math.round((100 * event.loaded) / event.total);
    };
    request.onload = () => {
      const data = JSON.parse(request.responseText || "{}");
      if (request.status === 201) {
        $("#upload-progress").value = 100;
        show(`已上传：${data.filename}`, true);
        onDone();
      } else show(data.detail || "上传失败，请重试。");
    };
    request.onerror = () => show("网络中断，上传失败，请重试。");
    request.send(file);
  }

  function renderApplication(application) {
    $("#status-box").hidden = false;
    text("#status-label", application.status_label);
    text("#revision", application.revision);
    const decision = application.decision;
    $("#decision").hidden = !decision;
    if (decision) {
      text("#decision-comment", `${decision.label}。${decision.comment}`);
      $("#decision-reasons").replaceChildren(...decision.reasons.map((reason) => {
        const item = document.createElement("li");
        item.textContent = `${reason.label}${reason.note ? "：" + reason.note : ""}`;
        return item;
      }));
      text("#correction-deadline", decision.correction_deadline_text ? `请于 ${decision.correction_deadline_text} 前修改后重新提交。` : "");
    }
    $("#documents").replaceChildren(...application.documents.map((doc) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = `下载申报表（${doc.format}）`;
      button.onclick = () => download(doc.download_url, `申报表.${doc.format}`);
      item.append(button);
      return item;
    }));
    $("#deliveries").replaceChildren(...(application.deliveries || []).map((delivery) => {
      const item = document.createElement("li");
      item.textContent = `通知 ${delivery.recipient}：${delivery.status_label}${delivery.reason ? "（" + delivery.reason + "）" : ""}`;
      return item;
    }));
    $("#file-list").replaceChildren(...application.evidence.map((file) => {
      const item = document.createElement("li");
      item.textContent = `${file.filename}（${Math.ceil(file.size / 1024)} KB）`;
      return item;
    }));
    const editable = ["draft", "returned"].includes(application.status);
    $("#files").hidden = !editable;
    $("#submit-box").hidden = !editable;
    $("#save-draft").disabled = !editable;
    text("#certificate-line", application.certificate_line);
    showWarnings(application.warnings);
  }

  return {
    token,

    loginPage() {
      sessionStorage.removeItem(TOKEN);
      $("#login-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        const form = event.target;
        const { ok, data } = await api("/api/login", {
          method: "POST",
          body: { username: form.username.value, password: form.password.value },
        });
        if (!ok) return show(data.detail || "登录失败。");
        sessionStorage.setItem(TOKEN, data.access_token);
        location.href = "/pages/notice";
      });
    },

    async noticePage() {
      requireLogin();
      const { ok, data } = await api("/api/notice");
      if (!ok) return show(data.detail);
      text("#notice-title", data.title || "申报通知");
      text("#national-doc", data.campaign.doc_number);
      text("#national-title", data.campaign.title);
      text("#theme", data.campaign.theme);
      text("#unit-doc", data.doc_number);
      text("#unit-name", data.unit_name);
      text("#deadline", data.deadline_text);
      text("#national-deadline", data.campaign.national_deadline_text);
      text("#contacts", data.contacts.map((c) => `${c.name} ${c.mobile || ""} ${c.email}`).join("；"));
      text("#body", data.body);
      const deadline = new Date(data.deadline_at).getTime();
      const tick = () => {
        const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
        const days = Math.floor(left / 86400), hours = Math.floor((left % 86400) / 3600);
        const minutes = Math.floor((left % 3600) / 60), seconds = left % 60;
        text("#countdown", left ? `${days}天${hours}小时${minutes}分${seconds}秒` : "已截止");
      };
      tick();
      setInterval(tick, 1000);
    },

    groupPage() {
      requireLogin();
      memberRow({ role: "组长" });
      $("#add-member").onclick = () => memberRow();
      $("#group-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        const form = event.target;
        const body = {
          group_name: form.group_name.value.trim(), year: Number(form.year.value),
          founded_on: form.founded_on.value, activity_frequency: form.activity_frequency.value.trim(),
          members: readMembers(),
        };
        if (form.topic_type.value) {
          body.topic = { topic_name: form.topic_name.value.trim(), topic_type: form.topic_type.value,
            target_kind: form.target_kind.value || null };
        }
        const { ok, data } = await api("/api/groups", { method: "POST", body });
        if (!ok) return show(data.detail);
        show(`注册成功，注册号：${data.registration_number}`, true);
        text("#registration-result", (data.warnings || []).join(" "));
      });
    },

    async listPage() {
      requireLogin();
      const { data } = await api("/api/applications");
      $("#application-list").replaceChildren(...(data || []).map((application) => {
        const row = document.createElement("tr");
        const link = document.createElement("a");
        link.href = `/pages/applications/${application.application_id}`;
        link.textContent = application.form.group_name;
        const cells = [link, application.form.topic_name, application.status_label];
        for (const cell of cells) {
          const td = document.createElement("td");
          td.append(cell);
          row.append(td);
        }
        return row;
      }));
    },

    async applicationPage(applicationId) {
      requireLogin();
      const form = $("#application-form");
      inlineValidation(form);
      $("#add-member").onclick = () => memberRow();
      let idempotencyKey = crypto.randomUUID ? crypto.randomUUID() : String(Date.now());
      const reload = async () => {
        const { ok, data } = await api(`/api/applications/${applicationId}`);
        if (!ok) return show(data.detail);
        fillForm(form, data.form);
        renderApplication(data);
      };
      if (applicationId) await reload();
      else memberRow({ role: "组长" });

      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const path = applicationId ? `/api/applications/${applicationId}` : "/api/applications";
        const { ok, data } = await api(path, { method: applicationId ? "PUT" : "POST", body: readForm(form) });
        if (!ok) {
          showProblems(data.detail);
          return show(data.detail);
        }
        showProblems("");
        if (!applicationId) {
          location.href = `/pages/applications/${data.application_id}`;
          return;
        }
        show("草稿已保存。", true);
        renderApplication(data);
      });

      $("#upload").onclick = () => {
        const file = $("#file-input").files[0];
        if (!file) return show("请先选择要上传的文件。");
        uploadWithProgress(applicationId, file, $("#file-kind").value, reload);
      };

      $("#submit").onclick = async () => {
        if (!$("#confirm-line").checked) return show("请先核对并勾选确认证书名称。");
        const { ok, data } = await api(`/api/applications/${applicationId}/submit`, {
          method: "POST",
          headers: { "Idempotency-Key": idempotencyKey },
          body: { confirm_certificate_line: $("#certificate-line").textContent },
        });
        if (!ok) return show(data.detail);
        idempotencyKey = crypto.randomUUID ? crypto.randomUUID() : String(Date.now());
        show(`提交成功：${data.status_label}`, true);
        renderApplication(data);
      };
    },
  };
})();

// Pages name themselves in <body data-page>: no inline script, so the CSP can forbid it.
document.addEventListener("DOMContentLoaded", () => {
  const { page, applicationId } = document.body.dataset;
  const start = { login: qc.loginPage, notice: qc.noticePage, group: qc.groupPage,
    list: qc.listPage, application: () => qc.applicationPage(applicationId || null) }[page];
  if (start) start();
  if (page !== "login") qcNotifications.mount({ token: qc.token });
});
