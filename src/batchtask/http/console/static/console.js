/* batchtask console: live updates over the admin API's stream, actions as admin API calls.
   No framework: the pages are rendered by the server, this script keeps them live. Every call
   carries the X-XSRF-TOKEN header (the XSRF-TOKEN cookie), the stream included, which is why it
   is read with fetch() rather than EventSource (which cannot send headers). */
(() => {
  "use strict";
  const body = document.body;
  const BASE = body.dataset.base || "";
  const API = BASE + "/admin/api";
  const LANG = body.dataset.lang || "en";
  const TEXTS = JSON.parse((document.getElementById("texts") || {}).textContent || "{}");
  const t = (text) => TEXTS[text] || text;
  const N_ = (text) => text; // marks a text for translation that is looked up later
  const fill = (text, values) => t(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  // Dates and numbers in the browser's own locale (en-GB writes 24-hour times, en-US does not).
  const LOCALE = navigator.language || LANG;
  // Date and time formatted apart and joined by a space, as the server's Babel formats them, so a
  // time the page updates reads like the ones it was rendered with.
  const dateFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: "short", timeZone: ZONE });
  const clockTimeFormat = new Intl.DateTimeFormat(LOCALE, { timeStyle: "medium", timeZone: ZONE });
  const timeFormat = { format: (date) => dateFormat.format(date) + " " + clockTimeFormat.format(date) };
  const clockFormat = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
  const numberFormat = new Intl.NumberFormat(LOCALE);
  const FINISHED = new Set(["Succeeded", "Failed", "SucceededManualCleanup"]);
  const RUNNING = new Set(["Aquired", "Started"]);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  function cookie(name) {
    const found = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  // The viewer's time zone, for times the server renders.
  if (cookie("batchtask_tz") !== ZONE) {
    document.cookie = "batchtask_tz=" + ZONE + "; path=/; SameSite=Strict";
  }

  // Theme: the system's, unless the viewer chose one here.
  const root = document.documentElement;
  const chosen = localStorage.getItem("batchtask-theme");
  if (chosen) root.dataset.theme = chosen;
  const themeButton = $("#theme");
  if (themeButton) {
    themeButton.addEventListener("click", () => {
      const dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
      root.dataset.theme = dark ? "light" : "dark";
      localStorage.setItem("batchtask-theme", root.dataset.theme);
      document.dispatchEvent(new Event("themechange"));
    });
  }

  const loginUrl = () => BASE + "/admin/login?next=" + encodeURIComponent(location.pathname + location.search);

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(method, path, payload) {
    // Carrier dates (LastStarted) in UTC with their offset, so the browser can show them locally.
    const headers = { Accept: "application/json", "X-XSRF-TOKEN": cookie("XSRF-TOKEN"), "SO-TimeZone": "UTC, includeTZOffset" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(API + path, init);
    if (response.status === 401) {
      location.href = loginUrl();
      throw new ApiError(401, "");
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, (data && data.ErrorMessage) || response.statusText);
    return data;
  }

  function toast(message, bad) {
    const box = $("#toast");
    if (!box) return;
    box.textContent = message;
    box.className = bad ? "note error" : "note";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => box.classList.add("hidden"), 5000);
  }

  function setLive(state) {
    const badge = $("#live");
    if (badge) { badge.dataset.live = state; badge.classList.remove("hidden"); }
  }

  /** Follow an SSE stream of the admin API; resumes with Last-Event-ID after a break. */
  function follow(path, lastId, onEvent) {
    let stopped = false;
    let id = lastId || "";
    let controller = null;
    (async () => {
      let delay = 1000;
      while (!stopped) {
        try {
          controller = new AbortController();
          const headers = { Accept: "text/event-stream", "X-XSRF-TOKEN": cookie("XSRF-TOKEN") };
          if (id) headers["Last-Event-ID"] = String(id);
          const response = await fetch(API + path, { headers, credentials: "same-origin", cache: "no-store", signal: controller.signal });
          if (response.status === 401) { location.href = loginUrl(); return; }
          if (!response.ok || !response.body) throw new Error("stream " + response.status);
          setLive("on");
          delay = 1000;
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let buffer = "";
          let event = { name: "message", data: "", id: null };
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            let cut;
            while ((cut = buffer.indexOf("\n")) >= 0) {
              const line = buffer.slice(0, cut).replace(/\r$/, "");
              buffer = buffer.slice(cut + 1);
              if (line === "") {
                if (event.data) {
                  if (event.id) id = event.id;
                  if (onEvent(event.name, JSON.parse(event.data), event.id) === true) {
                    stopped = true;
                    controller.abort();
                    return;
                  }
                }
                event = { name: "message", data: "", id: null };
              } else if (!line.startsWith(":")) {
                const colon = line.indexOf(":");
                const field = colon < 0 ? line : line.slice(0, colon);
                let text = colon < 0 ? "" : line.slice(colon + 1);
                if (text.startsWith(" ")) text = text.slice(1);
                if (field === "data") event.data += (event.data ? "\n" : "") + text;
                else if (field === "event") event.name = text;
                else if (field === "id") event.id = text;
              }
            }
          }
        } catch (error) {
          if (stopped) return;
        }
        if (stopped) return;
        setLive("off");
        await sleep(delay);
        delay = Math.min(delay * 2, 15000);
      }
    })();
    return () => { stopped = true; if (controller) controller.abort(); };
  }

  // ------------------------------------------------------------------ rendering helpers

  const stateLabel = (state) => TEXTS["state:" + state] || state;
  const formatTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : "—");

  function setTime(element, iso) {
    if (!element) return;
    if (iso) element.dateTime = iso;
    element.textContent = formatTime(iso);
  }

  function formatDuration(seconds) {
    // As view.py's duration_text writes it: a zero second part is left out ("2 h", not "2 h 0 min").
    const s = Math.max(0, Math.round(seconds));
    for (const [size, unit, part, partUnit] of [[86400, "d", 3600, "h"], [3600, "h", 60, "min"], [60, "min", 1, "s"]]) {
      if (s >= size) {
        const rest = Math.floor((s % size) / part);
        return Math.floor(s / size) + " " + unit + (rest ? " " + rest + " " + partUnit : "");
      }
    }
    return s + " s";
  }

  function setBar(container, percent) {
    for (const bar of $$("progress", container)) {
      bar.value = percent;
      bar.dataset.progress = String(percent);
    }
    const pct = $(".pct", container);
    if (pct) pct.textContent = percent + "%";
  }

  function setBadge(container, state) {
    container.dataset.state = state;
    const badge = $(".badge", container);
    if (badge) { badge.dataset.state = state; badge.textContent = stateLabel(state); }
  }

  /** Progress samples per task, for an ETA and a stall flag. */
  const pace = new Map();
  function observe(id, percent, state, started) {
    const now = Date.now();
    let seen = pace.get(id);
    // A task first seen part-way through: its start time (data-started) gives a first pace, so the
    // ETA shows at once instead of after the next progress report.
    const since = started ? Date.parse(started) : NaN;
    if (!seen && percent > 0 && since < now) seen = { start: since, first: 0, last: percent, moved: now };
    if (!seen || percent < seen.first) seen = { start: now, first: percent, last: percent, moved: now };
    if (percent !== seen.last) { seen.last = percent; seen.moved = now; }
    seen.state = state;
    pace.set(id, seen);
  }
  function etaText(id) {
    const seen = pace.get(id);
    if (!seen || seen.state !== "Started") return "";
    const now = Date.now();
    if (now - seen.moved > 60000) return t("stalled") + " · " + formatDuration((now - seen.moved) / 1000);
    const gained = seen.last - seen.first;
    if (gained <= 0 || seen.last >= 100) return "—";
    const rate = gained / ((seen.moved - seen.start) / 1000 || 1);
    return fill("about {time} left", { time: formatDuration((100 - seen.last) / rate) });
  }
  function tickEtas() {
    for (const element of $$("[data-eta]")) {
      const holder = element.closest("[data-task-id]");
      if (!holder) continue;
      const text = etaText(Number(holder.dataset.taskId));
      element.textContent = text;
      element.classList.toggle("stalled", text.startsWith(t("stalled")));
    }
  }

  // ------------------------------------------------------------------ shared chrome

  const logout = $("#logout");
  if (logout) {
    logout.addEventListener("click", async () => {
      await fetch(BASE + "/logout", { method: "POST", headers: { "X-XSRF-TOKEN": cookie("XSRF-TOKEN") }, credentials: "same-origin" }).catch(() => null);
      location.href = BASE + "/admin/login";
    });
  }
  for (const element of $$("time[datetime]")) element.title = element.dateTime;

  // ------------------------------------------------------------------ pages

  const pages = {};

  pages.login = () => {
    const form = $("#login");
    form.addEventListener("submit", async (submit) => {
      submit.preventDefault();
      const error = $("#login-error");
      error.textContent = "";
      const response = await fetch(BASE + "/login", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ username: $("#username").value, password: $("#password").value }),
        credentials: "same-origin",
      }).catch(() => null);
      if (response && response.ok) {
        const next = body.dataset.next || "";
        location.href = next.startsWith(BASE + "/admin") ? next : BASE + "/admin/";
        return;
      }
      const data = response ? await response.json().catch(() => null) : null;
      error.textContent = (data && data.ErrorMessage) || t("Could not log in.");
    });
  };

  pages.overview = () => {
    const charts = {};
    let lastFetch = 0;
    const css = (name) => getComputedStyle(root).getPropertyValue(name).trim();
    function chart(element, series, data) {
      if (!window.uPlot || !element) return null;
      const width = element.clientWidth || 500;
      const options = {
        width, height: 200, legend: { show: false }, cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          { stroke: css("--muted"), grid: { stroke: css("--line") }, values: (_, ticks) => ticks.map((tick) => clockFormat.format(new Date(tick * 1000))) },
          { stroke: css("--muted"), grid: { stroke: css("--line") }, values: (_, ticks) => ticks.map((tick) => numberFormat.format(tick)) },
        ],
        series: [{}, ...series.map(([label, color, bars, area]) => ({
          label, stroke: css(color), width: bars ? 1 : 2, fill: bars ? css(color) + "99" : area ? css(color) + "33" : undefined, points: { show: false },
          paths: bars && window.uPlot.paths && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [bars, 40] }) : undefined,
        }))],
      };
      element.textContent = "";
      return new window.uPlot(options, data, element);
    }
    async function refreshCharts() {
      lastFetch = Date.now();
      const stats = await api("GET", "/stats?window=600&step=10").catch(() => null);
      if (!stats) return;
      const x = stats.Series.map((p) => Date.parse(p.At) / 1000);
      const data1 = [x, stats.Series.map((p) => p.Succeeded), stats.Series.map((p) => p.Failed), stats.Series.map((p) => p.Started)];
      const data2 = [x, stats.Series.map((p) => p.Waiting)];
      if (charts.throughput) charts.throughput.setData(data1);
      else charts.throughput = chart($("#chart-throughput"), [[t("Succeeded"), "--succeeded", 0.8], [t("Failed"), "--failed", 0.45], [t("Started"), "--started", 0]], data1);
      if (charts.queue) charts.queue.setData(data2);
      else charts.queue = chart($("#chart-queue"), [[t("Waiting"), "--warn", 0, true]], data2);
    }
    function rebuild() {
      for (const key of Object.keys(charts)) { charts[key].destroy(); delete charts[key]; }
      refreshCharts();
    }
    document.addEventListener("themechange", rebuild);
    let resizeTimer = null;
    addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(rebuild, 250); });
    refreshCharts();

    const alive = new Map();
    api("GET", "/workers").then((rows) => {
      for (const row of rows) alive.set(row.Id, row.Alive);
      $("#alive").textContent = numberFormat.format([...alive.values()].filter(Boolean).length);
    }).catch(() => null);

    const running = $("#running");
    const failures = $("#failures");
    for (const item of $$("li[data-task-id]", running)) {
      observe(Number(item.dataset.taskId), Number($("progress", item).value), item.dataset.state, item.dataset.started);
    }
    tickEtas();
    function runningItem(data) {
      const li = document.createElement("li");
      li.dataset.taskId = data.Id;
      li.innerHTML = '<span class="name"><a></a> <span class="badge"></span><div class="muted desc"></div></span>' +
        '<span class="progress"><progress max="100" value="0" data-progress="0"></progress><span class="pct">0%</span></span><span class="eta" data-eta>—</span>';
      const link = $("a", li);
      link.href = BASE + "/admin/tasks/" + data.Id;
      link.textContent = "#" + data.Id + " " + data.Name;
      li.classList.add("fresh");
      return li;
    }
    function failureItem(data) {
      const li = document.createElement("li");
      li.dataset.taskId = data.Id;
      li.dataset.state = "Failed";
      li.innerHTML = '<span class="name"><a></a><div class="muted"></div></span><span class="muted"><time></time></span><span></span>';
      const link = $("a", li);
      link.href = BASE + "/admin/tasks/" + data.Id;
      link.textContent = "#" + data.Id + " " + data.Name;
      setTime($("time", li), new Date().toISOString());
      li.classList.add("fresh");
      return li;
    }
    const empties = () => {
      $("#running-empty").classList.toggle("hidden", running.children.length > 0);
      $("#failures-empty").classList.toggle("hidden", failures.children.length > 0);
    };
    follow("/stream", body.dataset.change, (name, data) => {
      if (name === "task") {
        let item = $(`li[data-task-id="${data.Id}"]`, running);
        if (RUNNING.has(data.State)) {
          if (!item) { item = runningItem(data); running.prepend(item); }
          setBadge(item, data.State);
          setBar(item, data.ProgressPercent);
          $(".desc", item).textContent = data.ProgressDescription;
          observe(data.Id, data.ProgressPercent, data.State);
        } else if (item) {
          item.remove();
          pace.delete(data.Id);
        }
        if (data.State === "Failed" && !$(`li[data-task-id="${data.Id}"]`, failures)) {
          failures.prepend(failureItem(data));
          while (failures.children.length > 10) failures.lastElementChild.remove();
        }
        empties();
      } else if (name === "stats") {
        for (const [state, count] of Object.entries(data.Counts)) {
          const cell = $(`[data-count="${state}"]`);
          if (cell) cell.textContent = numberFormat.format(count);
        }
        const oldest = $("#oldest");
        oldest.dataset.seconds = data.OldestWaitingSeconds;
        oldest.textContent = formatDuration(data.OldestWaitingSeconds);
        if (Date.now() - lastFetch > 9000) refreshCharts();
      } else if (name === "worker") {
        alive.set(data.Id, data.Alive);
        $("#alive").textContent = numberFormat.format([...alive.values()].filter(Boolean).length);
      } else if (name === "reset") {
        location.reload();
      }
      return false;
    });
    setInterval(tickEtas, 1000);
  };

  pages.tasks = () => {
    const list = $("#list");
    const table = $("#tasks tbody");
    const template = $("#row-template");
    const selected = new Set();
    let allMatching = false;
    const count = () => Number(list.dataset.count);
    const query = () => {
      const params = new URLSearchParams({ top: list.dataset.top, skip: list.dataset.skip });
      if (list.dataset.filter) params.set("filter", list.dataset.filter);
      if (list.dataset.q) params.set("q", list.dataset.q);
      if (list.dataset.orderby) params.set("orderby", list.dataset.orderby);
      return params.toString();
    };
    function showSelection() {
      const label = $("#selected");
      const n = allMatching ? count() : selected.size;
      label.dataset.selected = String(n);
      label.textContent = n === 0 ? t("No task selected") : allMatching ? fill("All {count} matching tasks selected", { count: numberFormat.format(n) }) : fill("{count} selected", { count: numberFormat.format(n) });
      for (const button of $$("[data-bulk]", list)) button.disabled = n === 0;
      for (const box of $$("input.pick", table)) box.checked = allMatching ? !box.disabled : selected.has(Number(box.value));
      $("#select-all").textContent = t("Select all matching") + " (" + numberFormat.format(count()) + ")";
    }
    function row(task) {
      const tr = template.content.firstElementChild.cloneNode(true);
      tr.dataset.taskId = task.Id;
      tr.dataset.state = task.State;
      tr.dataset.actions = task.Actions.join(",");
      const pick = $("input.pick", tr);
      pick.value = task.Id;
      pick.disabled = task.Actions.length === 0;
      pick.setAttribute("aria-label", t("Select task") + " " + task.Id);
      const link = $("td.num a", tr);
      link.href = BASE + "/admin/tasks/" + task.Id;
      link.textContent = task.Id;
      $(".tname", tr).textContent = task.Name;
      $(".tdesc", tr).textContent = task.Description;
      setBadge(tr, task.State);
      setBar(tr, task.ProgressPercent);
      $(".desc", tr).textContent = task.ProgressDescription;
      $(".towner", tr).textContent = task.Owner || t("system");
      $(".tstarts", tr).textContent = task.StartCount;
      setTime($("time", tr), task.Created);
      return tr;
    }
    let refreshing = null;
    async function refresh() {
      const page = await api("GET", "/tasks?" + query()).catch(() => null);
      if (!page) return;
      const known = new Set($$("tr[data-task-id]", table).map((tr) => tr.dataset.taskId));
      table.replaceChildren(...page.Tasks.map((task) => {
        const tr = row(task);
        if (!known.has(String(task.Id))) tr.classList.add("fresh");
        return tr;
      }));
      list.dataset.count = String(page.Count);
      const skip = Number(list.dataset.skip);
      $("#range").textContent = page.Count ? fill("{first}–{last} of {count}", { first: skip + 1, last: skip + page.Tasks.length, count: numberFormat.format(page.Count) }) : "";
      $("#tasks-empty").classList.toggle("hidden", page.Tasks.length > 0);
      for (const id of [...selected]) if (!page.Tasks.some((task) => task.Id === id)) selected.delete(id);
      showSelection();
    }
    const soon = () => { clearTimeout(refreshing); refreshing = setTimeout(refresh, 400); };
    table.addEventListener("change", (change) => {
      const box = change.target.closest("input.pick");
      if (!box) return;
      allMatching = false;
      if (box.checked) selected.add(Number(box.value)); else selected.delete(Number(box.value));
      showSelection();
    });
    $("#pick-page").addEventListener("change", (change) => {
      allMatching = false;
      for (const box of $$("input.pick", table)) if (!box.disabled) {
        if (change.target.checked) selected.add(Number(box.value)); else selected.delete(Number(box.value));
      }
      showSelection();
    });
    $("#select-all").addEventListener("click", () => { allMatching = !allMatching; selected.clear(); showSelection(); });

    const dialog = $("#confirm");
    const titles = { Stop: N_("Stop {count} tasks?"), Retry: N_("Retry {count} tasks?"), Delete: N_("Delete {count} tasks?") };
    for (const button of $$("[data-bulk]", list)) {
      button.addEventListener("click", async () => {
        const action = button.dataset.bulk;
        const request = allMatching ? { Action: action, Filter: list.dataset.filter || undefined, Q: list.dataset.q || undefined } : { Action: action, Ids: [...selected] };
        if (allMatching && !request.Filter && !request.Q) request.Filter = "getAllRows set true";
        let dry;
        try {
          dry = await api("POST", "/tasks/bulk", { ...request, DryRun: true });
        } catch (error) { toast(error.message, true); return; }
        $("#confirm-title").textContent = fill(titles[action], { count: numberFormat.format(dry.Done) });
        $("#confirm-text").textContent = fill("{done} of {matched} matching tasks will be changed; {skipped} skipped.", { done: numberFormat.format(dry.Done), matched: numberFormat.format(dry.Matched), skipped: numberFormat.format(dry.Skipped.length) });
        $("#confirm-skipped").replaceChildren(...dry.Skipped.slice(0, 8).map((skip) => {
          const li = document.createElement("li");
          li.textContent = "#" + skip.Id + ": " + skip.Reason;
          return li;
        }));
        $("#confirm-ok").disabled = dry.Done === 0;
        dialog.returnValue = "";
        dialog.showModal();
        dialog.addEventListener("close", async () => {
          if (dialog.returnValue !== "ok") return;
          try {
            const done = await api("POST", "/tasks/bulk", { ...request, DryRun: false });
            toast(fill("{done} of {matched} done.", { done: numberFormat.format(done.Done), matched: numberFormat.format(done.Matched) }));
          } catch (error) { toast(error.message, true); }
          selected.clear();
          allMatching = false;
          refresh();
        }, { once: true });
      });
    }
    follow("/stream", body.dataset.change, (name, data) => {
      if (name === "task") {
        const tr = $(`tr[data-task-id="${data.Id}"]`, table);
        if (!tr) { if (data.State !== "Unknown") soon(); return false; }
        if (data.State === "Unknown") { tr.remove(); soon(); return false; }
        const changed = tr.dataset.state !== data.State;
        setBadge(tr, data.State);
        setBar(tr, data.ProgressPercent);
        $(".desc", tr).textContent = data.ProgressDescription;
        if (changed) soon();
      } else if (name === "reset") {
        refresh();
      }
      return false;
    });
    showSelection();
  };

  pages.task = () => {
    const holder = $("#task");
    const id = Number(holder.dataset.taskId);
    let stop = null;
    function render(story) {
      const task = story.Task;
      holder.dataset.state = task.State;
      setBadge(holder, task.State);
      setBar(holder, task.ProgressPercent);
      $("#progress-text").textContent = task.ProgressDescription;
      $("#starts").textContent = task.StartCount;
      const started = $("#last-started");
      if (task.LastStarted && !task.LastStarted.startsWith("0001")) {
        started.replaceChildren(document.createElement("time"));
        setTime($("time", started), task.LastStarted);
      }
      $("#result").textContent = task.Result || "—";
      const lease = $("#lease");
      if (story.Lease) {
        lease.innerHTML = '<span class="mono"></span><br><time></time>';
        $(".mono", lease).textContent = story.Lease.Owner;
        setTime($("time", lease), story.Lease.Expires);
      } else {
        lease.innerHTML = '<span class="muted">—</span>';
      }
      for (const button of $$("[data-action]", holder)) button.classList.toggle("hidden", !story.Actions.includes(button.dataset.action));
      const timeline = $("#timeline");
      timeline.replaceChildren(...story.Events.map((event) => {
        const li = document.createElement("li");
        li.dataset.to = event.To;
        const what = document.createElement("div");
        what.className = "what";
        what.textContent = event.From === null ? t("Created") : event.From === event.To ? event.Reason : stateLabel(event.From) + " → " + stateLabel(event.To);
        if (event.From === null && event.Reason === "created") event.Reason = "";
        const when = document.createElement("div");
        when.className = "when";
        const time = document.createElement("time");
        setTime(time, event.At);
        when.append(time, " · " + event.Actor + (event.Source ? " · " + event.Source : ""));
        li.append(what, when);
        if (event.Reason && event.From !== event.To) {
          const why = document.createElement("div");
          why.className = "muted";
          why.textContent = event.Reason;
          li.append(why);
        }
        return li;
      }));
    }
    const reload = () => api("GET", "/tasks/" + id).then(render).catch((error) => { if (error.status === 404) toast(t("The task no longer exists."), true); });
    function watch() {
      if (stop) stop();
      stop = follow("/tasks/" + id + "/stream", null, (name, data) => {
        if (name === "task" || name === "end") {
          const changed = holder.dataset.state !== data.State;
          setBadge(holder, data.State);
          holder.dataset.state = data.State;
          setBar(holder, data.ProgressPercent);
          $("#progress-text").textContent = data.ProgressDescription;
          observe(id, data.ProgressPercent, data.State);
          if (changed || name === "end") reload();
        }
        return name === "end";
      });
    }
    observe(id, Number($("progress", holder).value), holder.dataset.state, holder.dataset.started);
    tickEtas();
    watch();
    setInterval(tickEtas, 1000);
    for (const button of $$("[data-action]", holder)) {
      button.addEventListener("click", async () => {
        const action = button.dataset.action;
        if (action === "Delete" && !confirm(t("Delete this task?"))) return;
        try {
          if (action === "Stop") await api("POST", "/tasks/" + id + "/stop");
          if (action === "Retry") { await api("POST", "/tasks/" + id + "/retry"); watch(); }
          if (action === "Delete") { await api("DELETE", "/tasks/" + id); location.href = BASE + "/admin/tasks"; return; }
        } catch (error) { toast(error.message, true); }
        reload();
      });
    }
    const edit = $("#edit");
    if (edit) {
      edit.addEventListener("submit", async (submit) => {
        submit.preventDefault();
        const fields = {};
        for (const name of ["State", "Description", "Request", "Response"]) fields[name] = edit.elements[name].value;
        try {
          render(await api("PUT", "/tasks/" + id, fields));
          $("#edit-status").textContent = t("Saved.");
          if (!FINISHED.has(fields.State)) watch();
        } catch (error) { $("#edit-status").textContent = error.message; }
      });
    }
  };

  pages.definitions = () => {
    const dialog = $("#start");
    const params = $("#start-params");
    const addParam = (key = "", value = "") => {
      const rowElement = $("#param-template").content.firstElementChild.cloneNode(true);
      $(".pk", rowElement).value = key;
      $(".pv", rowElement).value = value;
      $(".remove", rowElement).addEventListener("click", () => rowElement.remove());
      params.append(rowElement);
    };
    $("#start-add").addEventListener("click", () => addParam());
    let name = "";
    for (const button of $$("[data-start]")) {
      button.addEventListener("click", () => {
        name = button.dataset.start;
        $("#start-name").textContent = name;
        $("#start-error").textContent = "";
        $("#start-description").value = "";
        params.replaceChildren();
        if (name === "batchtask.sleep") { addParam("seconds", "30"); addParam("steps", "30"); } else addParam();
        dialog.returnValue = "";
        dialog.showModal();
      });
    }
    $("#start-ok").addEventListener("click", async (click) => {
      click.preventDefault();
      const parameters = {};
      for (const rowElement of $$(".kv", params)) {
        const key = $(".pk", rowElement).value.trim();
        if (key) parameters[key] = $(".pv", rowElement).value;
      }
      try {
        const story = await api("POST", "/tasks", { Name: name, Description: $("#start-description").value, ParameterObject: parameters });
        location.href = BASE + "/admin/tasks/" + story.Task.Id;
      } catch (error) { $("#start-error").textContent = error.message; }
    });
  };

  pages.workers = () => {
    const table = $("#workers tbody");
    function cell(content, className) {
      const td = document.createElement("td");
      if (className) td.className = className;
      if (content instanceof Node) td.append(content); else td.textContent = content;
      return td;
    }
    function time(iso) { const element = document.createElement("time"); setTime(element, iso); return element; }
    function upsert(worker) {
      const tr = document.createElement("tr");
      tr.dataset.workerId = worker.Id;
      tr.dataset.alive = String(worker.Alive);
      const idCell = cell("");
      idCell.innerHTML = '<span class="mono"></span><div class="muted"></div>';
      $(".mono", idCell).textContent = worker.Id;
      $(".muted", idCell).textContent = worker.Host + " · pid " + worker.Pid + " · v" + worker.Version;
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.state = worker.Alive ? "Succeeded" : "Failed";
      badge.textContent = worker.Alive ? t("alive") : t("silent");
      const busy = document.createElement("span");
      busy.className = "progress";
      busy.innerHTML = '<progress></progress><span class="pct"></span>';
      $("progress", busy).max = Math.max(1, worker.Slots);
      $("progress", busy).value = worker.Busy;
      $("progress", busy).dataset.progress = String(worker.Slots ? Math.round((100 * worker.Busy) / worker.Slots) : 0);
      $(".pct", busy).textContent = worker.Busy + "/" + worker.Slots;
      const runningCell = cell("");
      for (const taskId of worker.Running) {
        const link = document.createElement("a");
        link.href = BASE + "/admin/tasks/" + taskId;
        link.textContent = "#" + taskId;
        runningCell.append(link, " ");
      }
      if (!worker.Running.length) runningCell.innerHTML = '<span class="muted">—</span>';
      const kinds = { embedded: N_("embedded"), standalone: N_("standalone") };
      tr.append(idCell, cell(badge), cell(busy), cell(t(kinds[worker.Kind] || worker.Kind), "hide-narrow"), cell(time(worker.Started), "hide-narrow"),
        cell(time(worker.LastHeartbeat)), cell(worker.Definitions.join(", "), "hide-narrow muted"), runningCell);
      const old = $(`tr[data-worker-id="${CSS.escape(worker.Id)}"]`, table);
      if (old) old.replaceWith(tr); else { tr.classList.add("fresh"); table.prepend(tr); }
      $("#workers-empty").classList.toggle("hidden", table.children.length > 0);
    }
    follow("/stream", body.dataset.change, (name, data) => {
      if (name === "worker") upsert(data);
      return false;
    });
  };

  const page = pages[body.dataset.page];
  if (page) page();
})();
