"use strict";
// The notification bell: the logged-in user's in-app list, read from notify across origins with
// the page's bearer token. A page calls qcNotifications.mount({ token }) once someone is logged
// in; templates/notifications.html holds the markup, notify's URL and this service's page links.
// intake and review serve the same file (tests/intake/unit/test_notification_bell.py keeps them so).
const qcNotifications = (() => {
  const REFRESH_MS = 60 * 1000;
  const LIST_LIMIT = 50;
  const UNREAD_LIMIT = 200; // notify's largest page
  const UNAVAILABLE = "通知服务暂时不可用，稍后自动重试";
  const LOGGED_OUT = "登录已失效，请重新登录后查看通知。";
  // A notification is about an application (its id is a UUID) or about a unit (e.g. "xizang").
  const APPLICATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const CHINA_TIME = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  function chinaTime(iso) {
    const part = Object.fromEntries(CHINA_TIME.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}（北京时间）`;
  }

  function explain(error) {
    if (error.status === 401) return LOGGED_OUT;
    if (error.status && error.status < 500) return error.message;
    return UNAVAILABLE; // network error, CORS refusal or 5xx
  }

  function mount({ token }) {
    const root = document.getElementById("notifications");
    if (!root || !token()) return null;
    const { notifyUrl, applicationLink, homeLink } = root.dataset;
    const [button, badge, panel, status, list, readAll] = ["bell-button", "bell-badge",
      "bell-panel", "bell-status", "bell-list", "bell-read-all"].map((id) => document.getElementById(id));
    let generation = 0;

    async function call(method, path) {
      const response = await fetch(notifyUrl + path, { method, headers: { Authorization: `Bearer ${token()}` } });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw Object.assign(new Error(data.detail || UNAVAILABLE), { status: response.status });
      return data;
    }

    const unreadOnes = () => call("GET", `/api/notifications?unread=true&limit=${UNREAD_LIMIT}`);

    function showStatus(text, isError = false) {
      status.textContent = text;
      status.hidden = !text;
      status.classList.toggle("bell-error", isError);
    }

    function showUnreadCount(count) {
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.hidden = count === 0;
      readAll.disabled = count === 0;
    }

    function linkFor(notification) {
      if (!APPLICATION_ID.test(notification.subject_id)) return homeLink;
      return applicationLink.replace("{id}", notification.subject_id);
    }

    function item(notification) {
      const row = document.createElement("li");
      row.className = notification.read ? "bell-item" : "bell-item bell-unread";
      row.dataset.notificationId = notification.notification_id;
      const state = document.createElement("span");
      state.className = "bell-state";
      state.textContent = notification.read ? "已读" : "未读";
      const time = document.createElement("time");
      time.dateTime = notification.created_at;
      time.textContent = chinaTime(notification.created_at);
      const link = document.createElement("a");
      link.href = linkFor(notification);
      link.textContent = notification.subject;
      row.append(state, " ", time, document.createElement("br"), link);
      if (!notification.read) {
        const mark = document.createElement("button");
        mark.type = "button";
        mark.className = "bell-mark";
        mark.textContent = "标为已读";
        mark.onclick = () => markRead(notification.notification_id);
        row.append(" ", mark);
      }
      return row;
    }

    async function refresh() {
      const mine = ++generation; // an older answer arriving late must not overwrite a newer one
      try {
        const [recent, unread] = await Promise.all([
          call("GET", `/api/notifications?limit=${LIST_LIMIT}`), unreadOnes()]);
        if (mine !== generation) return;
        showUnreadCount(unread.length);
        list.replaceChildren(...recent.map(item));
        showStatus(recent.length ? "" : "暂无通知");
      } catch (error) {
        if (mine === generation) showStatus(explain(error), true);
      }
    }

    async function markRead(id) {
      try {
        await call("POST", `/api/notifications/${encodeURIComponent(id)}/read`);
      } catch (error) {
        showStatus(explain(error), true);
        return;
      }
      await refresh();
    }

    button.onclick = () => {
      const opening = panel.hidden;
      panel.hidden = !opening;
      button.setAttribute("aria-expanded", String(opening));
      if (opening) refresh();
    };
    readAll.onclick = async () => {
      try {
        await call("POST", "/api/notifications/read-all");
      } catch (error) {
        showStatus(explain(error), true);
        return;
      }
      await refresh();
    };
    root.hidden = false;
    refresh();
    setInterval(refresh, REFRESH_MS);
    return { refresh };
  }

  return { mount, chinaTime };
})();
