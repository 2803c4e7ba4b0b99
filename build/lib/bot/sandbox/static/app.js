// The sandbox chat page: talks to the control API (/sandbox/...) and listens to its stream.
// The bot's text is never inserted as HTML: it is rebuilt from the emulator's parsed entities
// with DOM nodes, and only http(s), tg, mailto and tel links are made clickable.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const els = {
    botName: $("#bot-name"), botStatus: $("#bot-status"), userSelect: $("#user-select"),
    userInfo: $("#user-info"), blockButton: $("#block-button"), addUserForm: $("#add-user-form"),
    placeSelect: $("#place-select"), shareLocation: $("#share-location"),
    clockNow: $("#clock-now"), clockDetail: $("#clock-detail"), clockNote: $("#clock-note"),
    clockNext: $("#clock-next"), clockTomorrow: $("#clock-tomorrow"),
    clockDaysForm: $("#clock-days-form"), clockDays: $("#clock-days"),
    messages: $("#messages"), blockedBanner: $("#blocked-banner"), unblockButton: $("#unblock-button"),
    commandMenu: $("#command-menu"), commandList: $("#command-list"), menuButton: $("#menu-button"),
    replyKeyboard: $("#reply-keyboard"), keyboardToggle: $("#keyboard-toggle"),
    attachButton: $("#attach-button"), attachMenu: $("#attach-menu"), attachList: $("#attach-list"),
    composer: $("#composer"), input: $("#composer-input"),
    requestList: $("#request-list"), showPolls: $("#show-polls"),
    tour: $("#tour"), tourProgress: $("#tour-progress"), tourHint: $("#tour-hint"),
    tourDo: $("#tour-do"), tourDismiss: $("#tour-dismiss"),
    resetButton: $("#reset-button"), resetNote: $("#reset-note"),
    toast: $("#toast"), alertDialog: $("#alert-dialog"), alertText: $("#alert-text"),
  };

  const state = {
    users: new Map(), places: [], timezone: "UTC", current: null, histories: new Map(),
    unread: new Map(), commands: [], pendingQueries: new Map(), lastSeq: 0, requestsSeq: 0,
    clock: { at: 0, perf: 0, offsetMs: 0 }, movable: false, keyboardHiddenFor: null, lastDay: null,
    stuck: true, // the chat follows its newest message until the person scrolls up
    lastScrollTop: 0,
  };
  const SAFE_PROTOCOLS = new Set(["http:", "https:", "tg:", "mailto:", "tel:"]);
  const MAX_REQUESTS = 200;

  // ---- HTTP -------------------------------------------------------------------------------

  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error((data && data.error) || `HTTP ${response.status}`);
    return data;
  }

  function attempt(action) {
    return async (...args) => {
      try {
        await action(...args);
      } catch (error) {
        toast(error.message);
      }
    };
  }

  // ---- Time -------------------------------------------------------------------------------

  function formatter(options) {
    return new Intl.DateTimeFormat("en-GB", { timeZone: state.timezone, ...options });
  }
  const fmt = {};
  function makeFormatters() {
    fmt.time = formatter({ hour: "2-digit", minute: "2-digit", hour12: false });
    fmt.seconds = formatter({ hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    fmt.clock = formatter({
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
    });
    fmt.day = formatter({ weekday: "long", day: "numeric", month: "long", year: "numeric" });
  }

  function sandboxNow() {
    return new Date(state.clock.at + (performance.now() - state.clock.perf));
  }

  function setClock(iso) {
    state.clock.at = Date.parse(iso);
    state.clock.perf = performance.now();
    state.clock.offsetMs = state.clock.at - Date.now();
    renderClock();
  }

  function describeOffset(ms) {
    if (Math.abs(ms) < 60000) return "the real time";
    const minutes = Math.round(ms / 60000);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const parts = [];
    if (days) parts.push(`${days} day${days === 1 ? "" : "s"}`);
    if (hours) parts.push(`${hours} h`);
    if (!days && !hours) parts.push(`${minutes % 60} min`);
    return `${parts.join(" ")} ahead of real time`;
  }

  function renderClock() {
    const now = sandboxNow();
    els.clockNow.textContent = fmt.clock.format(now);
    els.clockNow.dateTime = now.toISOString();
    els.clockDetail.textContent = `${state.timezone} · ${describeOffset(state.clock.offsetMs)}`;
  }

  // ---- Users ------------------------------------------------------------------------------

  function currentUser() {
    return state.users.get(state.current);
  }

  function userLabel(user) {
    const bits = [user.first_name, user.language_code || "?"];
    if (user.admin) bits.push("admin");
    if (user.blocked) bits.push("blocked");
    const unread = state.unread.get(user.id) || 0;
    return bits.join(" · ") + (unread ? ` (${unread} new)` : "");
  }

  function renderUserSelect() {
    const select = els.userSelect;
    select.replaceChildren();
    for (const user of state.users.values()) {
      const option = document.createElement("option");
      option.value = String(user.id);
      option.textContent = userLabel(user);
      option.selected = user.id === state.current;
      select.append(option);
    }
  }

  function renderUserInfo() {
    const user = currentUser();
    els.userInfo.replaceChildren();
    if (!user) return;
    const add = (term, value, badge) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      if (badge) {
        const span = document.createElement("span");
        span.className = badge === "blocked" ? "badge blocked" : "badge";
        span.textContent = badge;
        dd.append(span);
      }
      els.userInfo.append(dt, dd);
    };
    add("Name", user.first_name);
    add("User id", String(user.id));
    add("Language", user.language_code || "none");
    if (user.admin) add("Role", "", "admin");
    if (user.blocked) add("Bot", "", "blocked");
    els.blockButton.textContent = user.blocked ? "Unblock the bot" : "Block the bot";
    els.blockedBanner.hidden = !user.blocked;
    els.input.disabled = user.blocked;
    els.composer.querySelector("#send-button").disabled = user.blocked;
  }

  async function loadUsers() {
    const state_ = await api("GET", "/sandbox/web/state");
    for (const user of state_.users) state.users.set(user.id, user);
    renderUserSelect();
    renderUserInfo();
  }

  async function selectUser(id) {
    state.current = id;
    state.unread.set(id, 0);
    state.keyboardHiddenFor = null;
    history.replaceState(null, "", `#user=${id}`);
    renderUserSelect();
    renderUserInfo();
    closeMenu();
    closeAttach();
    const [messages, commands] = await Promise.all([
      api("GET", `/sandbox/chats/${id}/messages`),
      api("GET", `/sandbox/web/users/${id}/commands`),
    ]);
    const chat = new Map();
    for (const message of messages) chat.set(message.message_id, message);
    state.histories.set(id, chat);
    state.commands = commands;
    renderCommands();
    renderChat();
  }

  // ---- Rendering Telegram text ----------------------------------------------------------

  function safeUrl(raw) {
    try {
      const url = new URL(raw, "https://invalid.invalid/");
      if (!SAFE_PROTOCOLS.has(url.protocol) || url.hostname === "invalid.invalid") return null;
      return url.href;
    } catch {
      return null;
    }
  }

  function link(href) {
    const a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  // Returns [outer element, element to fill, whether plain text inside may become commands].
  function elementFor(entity, covered) {
    const make = (tag, className) => {
      const el = document.createElement(tag);
      if (className) el.className = className;
      return [el, el, true];
    };
    switch (entity.type) {
      case "bold": return make("strong");
      case "italic": return make("em");
      case "underline": return make("u");
      case "strikethrough": return make("s");
      case "code": return [...make("code").slice(0, 2), false];
      case "pre": {
        const pre = document.createElement("pre");
        const code = document.createElement("code");
        if (entity.language) code.className = `language-${entity.language}`;
        pre.append(code);
        return [pre, code, false];
      }
      case "blockquote":
      case "expandable_blockquote":
        return make("blockquote");
      case "spoiler": {
        const span = document.createElement("span");
        span.className = "spoiler";
        span.tabIndex = 0;
        span.setAttribute("role", "button");
        span.setAttribute("aria-label", "Hidden text (spoiler): press to reveal");
        const reveal = () => {
          span.classList.add("revealed");
          span.removeAttribute("role");
          span.removeAttribute("aria-label");
          span.removeAttribute("tabindex");
        };
        span.addEventListener("click", reveal);
        span.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); reveal(); }
        });
        return [span, span, true];
      }
      case "text_link": {
        const href = safeUrl(entity.url || "");
        if (!href) return make("span");
        const a = link(href);
        a.title = href;
        return [a, a, false];
      }
      case "url": {
        const href = safeUrl(/^[a-z][a-z0-9+.-]*:/i.test(covered) ? covered : `https://${covered}`);
        if (!href) return make("span");
        const a = link(href);
        return [a, a, false];
      }
      case "email": {
        const a = link(`mailto:${covered}`);
        return [a, a, false];
      }
      case "phone_number": {
        const a = link(`tel:${covered.replace(/[^0-9+]/g, "")}`);
        return [a, a, false];
      }
      case "bot_command": {
        const button = commandButton(covered);
        return [button, button, false];
      }
      default: return make("span", `entity-${String(entity.type).replace(/[^a-z_]/g, "")}`);
    }
  }

  function commandButton(command) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "cmd-link";
    button.title = `Send ${command}`;
    button.addEventListener("click", attempt(() => sendText(command.split("@")[0])));
    return button;
  }

  const COMMAND_IN_TEXT = /(^|[\s(])(\/[a-z][a-z0-9_]{0,31})(?=$|[\s.,;:!?)])/gi;

  function appendPlain(parent, text, commands) {
    if (!text) return;
    if (!commands) { parent.append(text); return; }
    let last = 0;
    for (const match of text.matchAll(COMMAND_IN_TEXT)) {
      const start = match.index + match[1].length;
      parent.append(text.slice(last, start));
      const button = commandButton(match[2]);
      button.textContent = match[2];
      parent.append(button);
      last = start + match[2].length;
    }
    parent.append(text.slice(last));
  }

  // Entities nest (Telegram HTML always does); offsets are UTF-16 units, like JS strings.
  function build(parent, text, start, end, entities, commands) {
    let position = start;
    let i = 0;
    while (i < entities.length) {
      const entity = entities[i];
      const entityEnd = entity.offset + entity.length;
      let j = i + 1;
      const inner = [];
      while (j < entities.length && entities[j].offset < entityEnd) inner.push(entities[j++]);
      const from = Math.max(entity.offset, position);
      const to = Math.min(entityEnd, end);
      if (from < to) {
        appendPlain(parent, text.slice(position, from), commands);
        const [outer, fill, innerCommands] = elementFor(entity, text.slice(from, to));
        build(fill, text, from, to, inner, commands && innerCommands);
        parent.append(outer);
        position = to;
      }
      i = j;
    }
    appendPlain(parent, text.slice(position, end), commands);
  }

  function renderFormatted(text, entities, commands) {
    const sorted = (entities || [])
      .filter((e) => e.length > 0)
      .slice()
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    const div = document.createElement("div");
    div.className = "text";
    build(div, text, 0, text.length, sorted, commands);
    return div;
  }

  // ---- Rendering messages ----------------------------------------------------------------

  function dayKey(message) {
    return fmt.day.format(new Date(message.date));
  }

  function placeName(location) {
    const near = state.places.find(
      (p) => Math.abs(p.latitude - location.latitude) < 1e-4 && Math.abs(p.longitude - location.longitude) < 1e-4,
    );
    return near ? near.name : null;
  }

  function fileUrl(message) {
    return `/sandbox/web/files/${message.chat_id}/${message.message_id}`;
  }

  function formatSize(bytes) {
    if (bytes == null) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1048576).toFixed(1)} MB`;
  }

  function renderMessage(message) {
    const article = document.createElement("article");
    article.className = `msg ${message.from_bot ? "from-bot" : "from-me"}`;
    article.dataset.id = String(message.message_id);
    const stack = document.createElement("div");
    stack.className = "stack";
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = message.from_bot ? "The bot:" : "You:";
    bubble.append(who);

    if (message.photo) {
      const alt = message.caption ? `Photo: ${message.caption.slice(0, 120)}` : "Photo from the bot";
      if (message.has_file) {
        const img = document.createElement("img");
        img.className = "media";
        img.src = fileUrl(message);
        img.alt = alt;
        // A photo has no height until it loads: keep the chat at the bottom when it does.
        img.addEventListener("load", () => { if (state.stuck) scrollToEnd(); });
        bubble.append(img);
      } else {
        const box = document.createElement("div");
        box.className = "media-placeholder";
        box.setAttribute("role", "img");
        box.setAttribute("aria-label", `${alt} (sent by URL or file id; not shown offline)`);
        box.textContent = "🖼 Photo";
        bubble.append(box);
      }
    }
    if (message.document) {
      const doc = document.createElement("div");
      doc.className = "document";
      const icon = document.createElement("span");
      icon.className = "icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = "📄";
      const info = document.createElement("div");
      const name = document.createElement(message.has_file ? "a" : "span");
      name.className = "name";
      name.textContent = message.file_name || "Document";
      if (message.has_file) {
        name.href = fileUrl(message);
        name.setAttribute("download", message.file_name || "");
      }
      const size = document.createElement("div");
      size.className = "hint";
      size.textContent = formatSize(message.file_size);
      info.append(name, size);
      doc.append(icon, info);
      bubble.append(doc);
    }
    if (message.location) {
      const loc = document.createElement("div");
      loc.className = "location";
      const where = placeName(message.location);
      const { latitude, longitude } = message.location;
      loc.textContent = `📍 ${where ? `${where} · ` : "Location · "}${latitude.toFixed(4)}, ${longitude.toFixed(4)}`;
      bubble.append(loc);
    }
    const body = message.text != null ? message.text : message.caption;
    if (body) bubble.append(renderFormatted(body, message.entities, message.from_bot));

    const meta = document.createElement("div");
    meta.className = "meta";
    if (message.edited) {
      const edited = document.createElement("span");
      edited.textContent = "edited";
      meta.append(edited);
    }
    const time = document.createElement("time");
    time.dateTime = message.date;
    time.textContent = fmt.time.format(new Date(message.date));
    meta.append(time);
    bubble.append(meta);
    stack.append(bubble);

    const markup = message.reply_markup;
    if (message.from_bot && markup && Array.isArray(markup.inline_keyboard)) {
      stack.append(renderInlineKeyboard(message, markup.inline_keyboard));
    }
    article.append(stack);
    return article;
  }

  function renderInlineKeyboard(message, rows) {
    const keyboard = document.createElement("div");
    keyboard.className = "inline-keyboard";
    keyboard.setAttribute("role", "group");
    keyboard.setAttribute("aria-label", "Buttons");
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "kb-row";
      for (const button of row) line.append(inlineButton(message, button));
      keyboard.append(line);
    }
    return keyboard;
  }

  function inlineButton(message, button) {
    const label = String(button.text || "");
    if (button.url !== undefined) {
      const href = safeUrl(button.url);
      const a = document.createElement("a");
      a.className = "kb-button";
      a.textContent = label;
      const mark = document.createElement("span");
      mark.className = "link-mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = "↗";
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " (opens a link)";
      a.append(mark, hidden);
      if (href) {
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.title = href;
      }
      return a;
    }
    const el = document.createElement("button");
    el.type = "button";
    el.className = "kb-button";
    el.textContent = label;
    if (button.callback_data !== undefined) {
      el.addEventListener("click", attempt(() => pressButton(message, button, el)));
    } else if (button.copy_text) {
      el.addEventListener("click", attempt(async () => {
        await navigator.clipboard.writeText(button.copy_text.text);
        toast("Copied");
      }));
    } else {
      el.disabled = true;
      el.title = "This kind of button does nothing in the sandbox";
    }
    return el;
  }

  function chatMessages() {
    const chat = state.histories.get(state.current);
    if (!chat) return [];
    return [...chat.values()].sort((a, b) => a.message_id - b.message_id);
  }

  function nearBottom() {
    const m = els.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
  }

  function scrollToEnd() {
    els.messages.scrollTop = els.messages.scrollHeight;
    state.stuck = true;
    state.lastScrollTop = els.messages.scrollTop;
  }

  function appendWithDay(message) {
    const key = dayKey(message);
    if (key !== state.lastDay) {
      const day = document.createElement("div");
      day.className = "day";
      day.textContent = key;
      els.messages.append(day);
      state.lastDay = key;
    }
    els.messages.append(renderMessage(message));
  }

  function renderChat() {
    els.messages.replaceChildren();
    state.lastDay = null;
    const messages = chatMessages().filter((m) => !m.deleted);
    if (!messages.length) {
      const empty = document.createElement("div");
      empty.className = "empty-chat";
      empty.textContent = "No messages yet. Send /start to begin, or open the menu for the bot's commands.";
      els.messages.append(empty);
    }
    for (const message of messages) appendWithDay(message);
    renderReplyKeyboard();
    scrollToEnd();
  }

  function upsertMessage(message) {
    const chat = state.histories.get(message.chat_id);
    if (!chat) return;
    const known = chat.get(message.message_id);
    // The same message comes back from the POST and from the stream: draw it once.
    if (known && JSON.stringify(known) === JSON.stringify(message)) return;
    chat.set(message.message_id, message);
    if (message.chat_id !== state.current) return;
    const existing = els.messages.querySelector(`.msg[data-id="${message.message_id}"]`);
    const follow = state.stuck || nearBottom() || !message.from_bot;
    if (existing && message.deleted) {
      existing.remove();
    } else if (existing) {
      const replacement = renderMessage(message);
      replacement.classList.add("just-edited");
      existing.replaceWith(replacement);
    } else if (!message.deleted) {
      els.messages.querySelector(".empty-chat")?.remove();
      appendWithDay(message);
    }
    renderReplyKeyboard();
    if (follow) scrollToEnd();
  }

  // ---- Reply keyboards, force reply, the command menu -------------------------------------

  function activeReplyMarkup() {
    let active = null;
    let placeholder = null;
    let answeredAfter = false;
    for (const message of chatMessages()) {
      if (message.deleted) continue;
      if (!message.from_bot) { if (active) answeredAfter = true; continue; }
      const markup = message.reply_markup;
      if (!markup) continue;
      if (Array.isArray(markup.keyboard)) { active = { markup, id: message.message_id }; answeredAfter = false; }
      else if (markup.remove_keyboard) active = null;
      if (markup.input_field_placeholder) placeholder = markup.input_field_placeholder;
      else if (markup.force_reply || markup.keyboard) placeholder = null;
    }
    if (active && active.markup.input_field_placeholder) placeholder = active.markup.input_field_placeholder;
    const collapsed = active && (state.keyboardHiddenFor === active.id
      || (active.markup.one_time_keyboard && answeredAfter && state.keyboardHiddenFor !== -active.id));
    return { active, placeholder, collapsed };
  }

  function renderReplyKeyboard() {
    const { active, placeholder, collapsed } = activeReplyMarkup();
    els.input.placeholder = placeholder || "Message";
    els.replyKeyboard.replaceChildren();
    els.keyboardToggle.hidden = !active;
    if (!active) { els.replyKeyboard.hidden = true; return; }
    for (const row of active.markup.keyboard) {
      const line = document.createElement("div");
      line.className = "kb-row";
      for (const raw of row) {
        const button = typeof raw === "string" ? { text: raw } : raw;
        const el = document.createElement("button");
        el.type = "button";
        el.textContent = String(button.text || "");
        if (button.request_location) {
          el.addEventListener("click", attempt(shareSelectedPlace));
          el.title = "Shares the place chosen under “Share a location”";
        } else if (button.request_contact || button.request_poll || button.request_users || button.request_chat || button.web_app) {
          el.disabled = true;
          el.title = "This kind of button does nothing in the sandbox";
        } else {
          el.addEventListener("click", attempt(() => sendText(String(button.text))));
        }
        line.append(el);
      }
      els.replyKeyboard.append(line);
    }
    els.replyKeyboard.hidden = Boolean(collapsed);
    els.keyboardToggle.setAttribute("aria-expanded", String(!collapsed));
    els.keyboardToggle.setAttribute("aria-label", collapsed ? "Show the bot's keyboard" : "Hide the bot's keyboard");
    els.keyboardToggle.dataset.id = String(active.id);
  }

  function renderCommands(filter = null) {
    els.commandList.replaceChildren();
    const shown = state.commands.filter((c) => filter === null || `/${c.command}`.startsWith(filter));
    for (const command of shown) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      const name = document.createElement("span");
      name.className = "command";
      name.textContent = `/${command.command}`;
      const description = document.createElement("span");
      description.textContent = command.description;
      button.append(name, description);
      button.addEventListener("click", attempt(async () => {
        closeMenu();
        await sendText(`/${command.command}`);
        els.input.value = "";
        els.input.focus();
      }));
      li.append(button);
      els.commandList.append(li);
    }
    els.menuButton.hidden = state.commands.length === 0;
    return shown.length;
  }

  function openMenu(filter = null) {
    if (!renderCommands(filter)) { closeMenu(); return; }
    closeAttach();
    els.commandMenu.hidden = false;
    els.menuButton.setAttribute("aria-expanded", "true");
  }

  function closeMenu() {
    els.commandMenu.hidden = true;
    els.menuButton.setAttribute("aria-expanded", "false");
  }

  // The 📎 menu, like Telegram's attachment menu: here it shares one of the places.
  function renderAttachMenu() {
    els.attachList.replaceChildren();
    state.places.forEach((place, index) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = place.name;
      button.addEventListener("click", attempt(async () => {
        closeAttach();
        els.placeSelect.value = String(index);
        await sharePlace(place);
        els.input.focus();
      }));
      li.append(button);
      els.attachList.append(li);
    });
  }

  function openAttach() {
    closeMenu();
    els.attachMenu.hidden = false;
    els.attachButton.setAttribute("aria-expanded", "true");
    els.attachList.querySelector("button")?.focus();
  }

  function closeAttach() {
    els.attachMenu.hidden = true;
    els.attachButton.setAttribute("aria-expanded", "false");
  }

  // ---- Acting as the user -----------------------------------------------------------------

  async function sendText(text) {
    if (!text.trim()) return;
    const sent = await api("POST", `/sandbox/users/${state.current}/messages`, { text });
    upsertMessage(sent);
    const command = text.trim().split(/[\s@]/)[0].toLowerCase();
    if (command === "/start") tourDone("start");
    else if (command === "/broadcast" && currentUser()?.admin) tourDone("admin");
    else if (!command.startsWith("/")) tourDone("ask");
  }

  async function pressButton(message, button, el) {
    el.setAttribute("aria-busy", "true");
    setTimeout(() => el.removeAttribute("aria-busy"), 3000);
    const result = await api("POST", `/sandbox/users/${state.current}/button-presses`, {
      message_id: message.message_id, data: button.callback_data,
    });
    if (result.callback_query_id) state.pendingQueries.set(result.callback_query_id, el);
  }

  async function shareSelectedPlace() {
    await sharePlace(state.places[Number(els.placeSelect.value)]);
  }

  async function sharePlace(place) {
    const sent = await api("POST", `/sandbox/users/${state.current}/locations`, {
      latitude: place.latitude, longitude: place.longitude,
    });
    upsertMessage(sent);
  }

  async function setBlocked(blocked) {
    await api(blocked ? "PUT" : "DELETE", `/sandbox/users/${state.current}/block`);
    currentUser().blocked = blocked;
    renderUserSelect();
    renderUserInfo();
    toast(blocked ? "You blocked the bot" : "You unblocked the bot");
  }

  async function moveClock(body) {
    els.clockNote.classList.remove("error");
    els.clockNote.textContent = "Moving the clock…";
    try {
      const result = await api("POST", "/sandbox/web/clock", body);
      setClock(result.now);
      els.clockNote.textContent = `${result.note[0].toUpperCase()}${result.note.slice(1)}: ${fmt.clock.format(new Date(result.now))}`;
      if (body.to === "next_delivery") tourDone("deliver");
      return true;
    } catch (error) {
      els.clockNote.classList.add("error");
      els.clockNote.textContent = error.message;
      return false;
    }
  }

  // ---- Starting over, and the first-visit tour ------------------------------------------

  async function resetSandbox() {
    if (!window.confirm("Start the demo over? Every chat, subscriber and setting is forgotten and the clock goes back to now.")) return;
    els.resetButton.disabled = true;
    els.resetNote.classList.remove("error");
    els.resetNote.textContent = "Starting over…";
    try {
      await api("POST", "/sandbox/web/reset");
      els.resetNote.textContent = "Started over: a fresh bot, no chats, the clock at now.";
    } catch (error) {
      els.resetNote.classList.add("error");
      els.resetNote.textContent = error.message;
    } finally {
      els.resetButton.disabled = !state.resettable;
    }
  }

  // Every page of the sandbox hears of a reset (the stream's "reset" event) and redraws.
  async function startedOver(now) {
    setClock(now);
    state.histories.clear();
    state.unread.clear();
    state.pendingQueries.clear();
    state.keyboardHiddenFor = null;
    saveTour({ ...loadTour(), done: [] });
    await loadUsers();
    await selectUser(state.current);
    showView("chat");
    toast("The sandbox started over");
  }

  const TOUR_KEY = "gutskin-sandbox-tour";
  const TOUR = [
    {
      id: "start", hint: "Meet the bot as a new patient would: send /start and answer its questions.",
      action: "Send /start", run: () => sendText("/start"),
    },
    {
      id: "ask", hint: "Ask a question in your own words (the FAQ answers, or says it doesn't know).",
      action: "Ask “does dairy cause acne?”", run: () => sendText("does dairy cause acne?"),
    },
    {
      id: "deliver", hint: "Don't wait for tomorrow morning: move the clock to your next daily tip.",
      action: "Move the clock to your next tip",
      run: async () => {
        if (!(await moveClock({ to: "next_delivery", chat_id: state.current }))) toast(els.clockNote.textContent);
      },
    },
    {
      id: "admin", hint: "Now be the clinic: switch to its admin and send every subscriber a broadcast.",
      action: "Switch to the admin and /broadcast",
      run: async () => {
        const admin = [...state.users.values()].find((user) => user.admin);
        if (!admin) { toast("No admin among the sandbox's users"); return; }
        if (state.current !== admin.id) await selectUser(admin.id);
        await sendText("/broadcast");
      },
    },
  ];

  function loadTour() {
    try {
      const saved = JSON.parse(localStorage.getItem(TOUR_KEY) || "{}");
      return { dismissed: Boolean(saved.dismissed), done: Array.isArray(saved.done) ? saved.done : [] };
    } catch {
      return { dismissed: false, done: [] };
    }
  }

  function saveTour(tour) {
    try { localStorage.setItem(TOUR_KEY, JSON.stringify(tour)); } catch { /* private mode: forget */ }
    renderTour();
  }

  function tourDone(id) {
    const tour = loadTour();
    if (!tour.done.includes(id)) saveTour({ ...tour, done: [...tour.done, id] });
  }

  function renderTour() {
    const tour = loadTour();
    els.tour.hidden = tour.dismissed;
    if (tour.dismissed) return;
    const next = TOUR.find((step) => !tour.done.includes(step.id));
    const done = TOUR.filter((step) => tour.done.includes(step.id)).length;
    els.tourProgress.textContent = `· ${done} of ${TOUR.length} done`;
    if (next) {
      els.tourHint.textContent = next.hint;
      els.tourDo.textContent = next.action;
      els.tourDo.dataset.step = next.id;
      els.tourDo.hidden = false;
    } else {
      els.tourHint.textContent = "That's the tour. Reset the sandbox (under Controls) to start the demo over.";
      els.tourDo.hidden = true;
    }
  }

  // ---- Live updates ---------------------------------------------------------------------

  function handleWorld(event) {
    state.lastSeq = Math.max(state.lastSeq, event.seq);
    switch (event.type) {
      case "message":
      case "edited":
      case "deleted": {
        const message = event.message;
        if (message.chat_id === state.current || state.histories.has(message.chat_id)) upsertMessage(message);
        if (message.chat_id !== state.current && message.from_bot && event.type === "message") {
          state.unread.set(message.chat_id, (state.unread.get(message.chat_id) || 0) + 1);
          renderUserSelect();
        }
        break;
      }
      case "callback_answer": {
        const el = state.pendingQueries.get(event.callback_query_id);
        if (!el) break;
        state.pendingQueries.delete(event.callback_query_id);
        el.removeAttribute("aria-busy");
        if (event.text && event.show_alert) showAlert(event.text);
        else if (event.text) toast(event.text);
        if (event.url) toast(`The bot answered with a link: ${event.url}`);
        break;
      }
      case "blocked":
      case "unblocked": {
        const user = state.users.get(event.chat_id);
        if (user) user.blocked = event.type === "blocked";
        renderUserSelect();
        renderUserInfo();
        break;
      }
      case "user":
        loadUsers().catch((error) => toast(error.message));
        break;
      case "commands":
        api("GET", `/sandbox/web/users/${state.current}/commands`)
          .then((commands) => { state.commands = commands; renderCommands(); })
          .catch((error) => toast(error.message));
        break;
      case "clock":
        setClock(event.now);
        break;
      case "reset":
        startedOver(event.now).catch((error) => toast(error.message));
        break;
      default:
        break;
    }
  }

  function statusClass(status) {
    if (status === 429) return "status-429";
    if (status >= 500) return "status-5xx";
    if (status >= 400) return "status-4xx";
    return "status-2xx";
  }

  function requestSummary(params) {
    const bits = [];
    if (params.chat_id !== undefined) bits.push(`chat ${params.chat_id}`);
    if (params.message_id !== undefined) bits.push(`message ${params.message_id}`);
    const text = params.text || params.caption;
    if (typeof text === "string") bits.push(`“${text.length > 90 ? `${text.slice(0, 90)}…` : text}”`);
    if (params.callback_query_id !== undefined && params.text === undefined) bits.push("answer");
    if (params.offset !== undefined) bits.push(`offset ${params.offset}`);
    return bits.join(" · ");
  }

  function addRequest(entry) {
    state.requestsSeq = Math.max(state.requestsSeq, entry.seq);
    const li = document.createElement("li");
    li.className = `req ${statusClass(entry.status)}`;
    li.dataset.method = entry.method;
    li.hidden = entry.method === "getUpdates" && !els.showPolls.checked;
    const head = document.createElement("div");
    head.className = "req-head";
    const method = document.createElement("span");
    method.className = "req-method";
    method.textContent = entry.method;
    const status = document.createElement("span");
    status.className = "req-status";
    status.textContent = String(entry.status);
    const time = document.createElement("time");
    time.dateTime = entry.time;
    time.textContent = fmt.seconds.format(new Date(entry.time));
    head.append(method, status, time);
    li.append(head);
    const summary = requestSummary(entry.params || {});
    if (summary) {
      const detail = document.createElement("div");
      detail.className = "req-detail";
      detail.textContent = summary;
      li.append(detail);
    }
    if (entry.description) {
      const error = document.createElement("div");
      error.className = "req-error";
      error.textContent = entry.description;
      li.append(error);
    }
    els.requestList.prepend(li);
    while (els.requestList.children.length > MAX_REQUESTS) els.requestList.lastElementChild.remove();
  }

  function connect() {
    const source = new EventSource(`/sandbox/web/stream?after=${state.lastSeq}&requests=${state.requestsSeq}`);
    source.addEventListener("open", () => {
      els.botStatus.textContent = "bot · sandbox · live";
      els.botStatus.classList.add("online");
    });
    source.addEventListener("error", () => {
      els.botStatus.textContent = "sandbox unreachable · retrying…";
      els.botStatus.classList.remove("online");
    });
    source.addEventListener("world", (e) => handleWorld(JSON.parse(e.data)));
    source.addEventListener("request", (e) => addRequest(JSON.parse(e.data)));
  }

  // ---- Small UI pieces ----------------------------------------------------------------------

  let toastTimer = null;
  function toast(text) {
    els.toast.textContent = text;
    els.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { els.toast.hidden = true; }, 4000);
  }

  function showAlert(text) {
    els.alertText.textContent = text;
    if (typeof els.alertDialog.showModal === "function") els.alertDialog.showModal();
    else toast(text);
  }

  function showView(view) {
    document.body.dataset.view = view;
    for (const tab of document.querySelectorAll(".tabs button")) {
      tab.setAttribute("aria-pressed", String(tab.dataset.view === view));
    }
  }

  // ---- Wiring ------------------------------------------------------------------------------

  function wire() {
    els.userSelect.addEventListener("change", attempt(() => selectUser(Number(els.userSelect.value))));
    els.composer.addEventListener("submit", attempt(async (event) => {
      event.preventDefault();
      const text = els.input.value;
      if (!text.trim()) return;
      closeMenu();
      await sendText(text);
      els.input.value = "";
    }));
    els.input.addEventListener("input", () => {
      const value = els.input.value;
      if (/^\/[a-z0-9_]*$/i.test(value)) openMenu(value);
      else closeMenu();
    });
    els.input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeMenu();
      if (event.key === "ArrowUp" && !els.commandMenu.hidden) {
        event.preventDefault();
        els.commandList.querySelector("li:last-child button")?.focus();
      }
    });
    els.commandMenu.addEventListener("keydown", (event) => {
      const buttons = [...els.commandList.querySelectorAll("button")];
      const index = buttons.indexOf(document.activeElement);
      if (event.key === "Escape") { closeMenu(); els.menuButton.hidden ? els.input.focus() : els.menuButton.focus(); }
      else if (event.key === "ArrowDown" && index >= 0) {
        event.preventDefault();
        (buttons[index + 1] || els.input).focus();
      } else if (event.key === "ArrowUp" && index > 0) {
        event.preventDefault();
        buttons[index - 1].focus();
      }
    });
    els.menuButton.addEventListener("click", () => {
      if (els.commandMenu.hidden) {
        openMenu();
        els.commandList.querySelector("button")?.focus();
      } else {
        closeMenu();
      }
    });
    els.attachButton.addEventListener("click", () => {
      if (els.attachMenu.hidden) openAttach(); else closeAttach();
    });
    els.attachMenu.addEventListener("keydown", (event) => {
      const buttons = [...els.attachList.querySelectorAll("button")];
      const index = buttons.indexOf(document.activeElement);
      if (event.key === "Escape") { closeAttach(); els.attachButton.focus(); }
      else if (event.key === "ArrowDown" && index >= 0) {
        event.preventDefault();
        (buttons[index + 1] || buttons[0]).focus();
      } else if (event.key === "ArrowUp" && index >= 0) {
        event.preventDefault();
        (buttons[index - 1] || buttons[buttons.length - 1]).focus();
      }
    });
    // Only the person scrolling up unsticks the chat: content growing under it (a photo
    // loading) fires scroll events too, a frame late, that must not.
    els.messages.addEventListener("scroll", () => {
      const top = els.messages.scrollTop;
      if (top < state.lastScrollTop - 1) state.stuck = nearBottom();
      else if (nearBottom()) state.stuck = true;
      state.lastScrollTop = top;
    }, { passive: true });
    // A window resize, a phone rotating, a keyboard opening: stay at the bottom if we were.
    new ResizeObserver(() => { if (state.stuck) scrollToEnd(); }).observe(els.messages);
    els.keyboardToggle.addEventListener("click", () => {
      const id = Number(els.keyboardToggle.dataset.id);
      state.keyboardHiddenFor = els.replyKeyboard.hidden ? -id : id;
      renderReplyKeyboard();
    });
    els.blockButton.addEventListener("click", attempt(() => setBlocked(!currentUser().blocked)));
    els.resetButton.addEventListener("click", attempt(resetSandbox));
    els.tourDo.addEventListener("click", attempt(async () => {
      const step = TOUR.find((s) => s.id === els.tourDo.dataset.step);
      if (step) await step.run();
    }));
    els.tourDismiss.addEventListener("click", () => {
      saveTour({ ...loadTour(), dismissed: true });
      els.input.focus();
    });
    els.unblockButton.addEventListener("click", attempt(() => setBlocked(false)));
    els.shareLocation.addEventListener("click", attempt(shareSelectedPlace));
    els.clockNext.addEventListener("click", () => moveClock({ to: "next_delivery", chat_id: state.current }));
    els.clockTomorrow.addEventListener("click", () => moveClock({ to: "tomorrow", time: "08:00" }));
    els.clockDaysForm.addEventListener("submit", (event) => {
      event.preventDefault();
      moveClock({ days: Number(els.clockDays.value) });
    });
    els.addUserForm.addEventListener("submit", attempt(async (event) => {
      event.preventDefault();
      const form = new FormData(els.addUserForm);
      const id = Math.max(100000, ...state.users.keys()) + 1;
      const user = await api("POST", "/sandbox/users", {
        user_id: id, first_name: String(form.get("first_name")).trim(), language_code: form.get("language_code"),
      });
      state.users.set(user.id, { ...user, admin: false });
      els.addUserForm.reset();
      await selectUser(user.id);
      toast(`Added ${user.first_name}`);
    }));
    els.showPolls.addEventListener("change", () => {
      for (const li of els.requestList.querySelectorAll('li[data-method="getUpdates"]')) li.hidden = !els.showPolls.checked;
    });
    for (const tab of document.querySelectorAll(".tabs button")) {
      tab.addEventListener("click", () => showView(tab.dataset.view));
    }
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !els.commandMenu.hidden) closeMenu();
      if (event.key === "Escape" && !els.attachMenu.hidden) closeAttach();
    });
  }

  async function init() {
    wire();
    const initial = await api("GET", "/sandbox/web/state");
    state.timezone = initial.timezone;
    makeFormatters();
    state.places = initial.places;
    state.movable = initial.clock_movable;
    state.resettable = initial.resettable;
    els.resetButton.disabled = !state.resettable;
    renderTour();
    state.lastSeq = initial.last_seq;
    const bot = initial.bot;
    els.botName.textContent = bot.first_name;
    document.title = `${bot.first_name} · sandbox`;
    for (const user of initial.users) state.users.set(user.id, user);
    initial.places.forEach((place, index) => {
      const option = document.createElement("option");
      option.value = String(index);
      option.textContent = place.name;
      els.placeSelect.append(option);
    });
    renderAttachMenu();
    for (const button of [els.clockNext, els.clockTomorrow]) button.disabled = !state.movable;
    setClock(initial.now);
    setInterval(renderClock, 1000);
    const recent = await api("GET", "/sandbox/requests?limit=100");
    for (const entry of recent) addRequest(entry);
    state.requestsSeq = initial.requests_seq;
    const wanted = Number((location.hash.match(/user=(\d+)/) || [])[1]);
    const first = state.users.has(wanted) ? wanted : state.users.keys().next().value;
    if (first !== undefined) await selectUser(first);
    connect();
  }

  init().catch((error) => {
    els.botStatus.textContent = `could not load the sandbox: ${error.message}`;
  });
})();
