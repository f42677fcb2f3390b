// The Hotspot secretariat's tools: sign in with a planner token (kept in sessionStorage only),
// the moderation queue of resident reports (original vs scrubbed text, possible duplicates,
// publish / reject / mark duplicate / set status with a public note, the moderation history) and
// the safety-walk mode for a phone (start a walk, place observations on the map, rate them, save;
// they show on the observations layer at once). The planner workspace's tabs (initiatives,
// evaluation, goals, where to act, status report) are built by workspace.js.
//
// Texts are in i18n.js; every text a resident or planner typed is set with textContent.

import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.js';
import {
  apiLabel, appReady, el, formatDateTime, formatNumber, loadObservations, observationKinds, onLanguageChange, plannerToken,
  setPlannerToken, t,
} from './app.js';
import {
  Sheet, appUrl, loadServices, locationField, reloadReports, serviceLabel, setFieldError, statusLabel, text,
  timeOfDayLabel, uid,
} from './reports.js';
import {
  WORKSPACE_TABS, setupWorkspace, showWorkspaceTab, workspaceSheetSize, workspaceSignedIn,
} from './workspace.js';

const WALK_KEY = 'hotspot.activeWalk';
const PAGE_SIZE = 20;
/** The sheet's tabs, in order. */
const TABS = ['moderation', 'walk', ...WORKSPACE_TABS];
/** The queues a planner can look at; `new` (not yet moderated) first. `published` is every
 * published report whatever its status, so a report stays in it through "set status". */
const QUEUES = ['new', 'published', 'open', 'acknowledged', 'in_progress', 'closed', 'rejected', 'duplicate'];
/** The statuses `set_status` moves a published report through. */
const STATUS_STEPS = ['open', 'acknowledged', 'in_progress', 'closed'];
/** Participants of a safety walk: roles, never names. */
const ROLES = ['resident', 'police', 'municipality', 'housing', 'youth_worker', 'other'];
const RATING_COLOURS = ['#d7191c', '#fdae61', '#ffffbf', '#a6d96a', '#1a9641'];

// ---------------------------------------------------------------------------------------------
// Token and API
// ---------------------------------------------------------------------------------------------

/** The session's token (sessionStorage, see app.js `setPlannerToken`); signing out forgets the walk too. */
function storeToken(token) {
  if (!token) {
    try {
      window.sessionStorage.removeItem(WALK_KEY);
    } catch {
      // storage disabled
    }
  }
  ui.token = token;
  setPlannerToken(token);
}

class ApiError extends Error {
  constructor(status, detail, field) {
    super(detail);
    this.status = status;
    this.field = field ?? null;
  }
}

/**
 * A planner API call with the token; problem details become ApiErrors. JSON in and out, unless
 * `contentType` is given (the body is then sent as it is) or `blob` asks for the answer as a Blob
 * (of type `accept`).
 */
async function api(path, {
  method = 'GET', body, query, token = ui.token, contentType = null, accept = 'application/json', blob = false, ifMatch = null,
} = {}) {
  const url = appUrl(path);
  if (query) for (const [k, v] of Object.entries(query)) if (v != null && v !== '') url.searchParams.set(k, v);
  const headers = { Accept: accept, Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = contentType ?? 'application/json';
  if (ifMatch) headers['If-Match'] = `"${ifMatch}"`;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined || contentType ? body : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, t('errNetwork'));
  }
  if (response.ok && blob) return response.blob();
  let data = null;
  try {
    data = await response.json();
  } catch {
    // no body
  }
  if (!response.ok) {
    const detail = data?.detail ?? data?.title ?? (Array.isArray(data) ? data[0]?.description : null) ?? `${response.status}`;
    const error = new ApiError(response.status, detail, data?.field);
    if (response.status === 401 && token === ui.token && ui.token) signOut('plannerSessionEnded');
    throw error;
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// The sheet: sign-in, then two tabs
// ---------------------------------------------------------------------------------------------

const ui = {
  token: plannerToken(),
  tab: 'moderation',
  queue: 'new',
  offset: 0,
  reports: [],
  total: 0,
  newCount: null,
  walk: null,
  walkObservations: [],
  walks: [],
};

function buildSheet() {
  const sheet = new Sheet({ id: 'planner-sheet', titleKey: 'plannerTitle', className: 'planner-sheet wide' });
  ui.sheet = sheet;
  const logout = el('button', { type: 'button', className: 'btn btn-small btn-secondary', id: 'planner-logout' }, text('span', 'plannerLogout'));
  logout.addEventListener('click', () => signOut('plannerLoggedOut'));
  ui.logout = logout;
  sheet.actions.append(logout);

  // Sign-in.
  const token = el('input', { type: 'password', id: 'planner-token', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'planner-token-hint' });
  const error = el('p', { className: 'field-error', id: 'planner-token-error', hidden: '' });
  const submit = el('button', { type: 'submit', className: 'btn btn-primary' }, text('span', 'plannerLogin'));
  const login = el('form', { className: 'planner-login', novalidate: '' },
    text('p', 'plannerIntro', { className: 'intro' }),
    el('div', { className: 'field' }, text('label', 'plannerToken', { for: 'planner-token' }),
      text('p', 'plannerTokenHint', { className: 'hint', id: 'planner-token-hint' }), token, error),
    el('div', { className: 'form-actions' }, submit));
  ui.loginField = { element: login, error, controls: [token], hintId: 'planner-token-hint' };
  login.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = token.value.trim();
    if (!value) {
      setFieldError(ui.loginField, t('plannerTokenMissing'));
      token.focus();
      return;
    }
    submit.disabled = true;
    try {
      const data = await api('api/reports', { query: { status: 'new', limit: 1 }, token: value });
      setFieldError(ui.loginField, null);
      token.value = '';
      storeToken(value);
      ui.newCount = data?.numberMatched ?? null;
      renderSignedIn();
      workspaceSignedIn(true);
      selectTab('moderation', { focus: true });
    } catch (e) {
      setFieldError(ui.loginField, e.status === 401 ? t('plannerTokenUnknown') : e.status === 403 ? t('plannerTokenRole') : t('errServer', { detail: e.message }));
      token.focus();
    } finally {
      submit.disabled = false;
    }
  });
  ui.login = login;
  ui.loginMessage = el('p', { className: 'note planner-message', role: 'status' });

  // Tabs.
  const tabs = el('div', { className: 'tabs', role: 'tablist', 'data-i18n-aria-label': 'plannerTabs', 'aria-label': t('plannerTabs') });
  ui.tabs = {};
  ui.panels = {};
  for (const name of TABS) {
    const tab = el('button', {
      type: 'button', role: 'tab', id: `planner-tab-${name}`, 'aria-controls': `planner-panel-${name}`, 'aria-selected': 'false', tabindex: '-1', className: 'tab',
    }, text('span', `plannerTab_${name}`), el('span', { className: 'tab-count' }));
    tab.addEventListener('click', () => selectTab(name));
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
      if (!step && !['Home', 'End'].includes(event.key)) return;
      event.preventDefault();
      const index = TABS.indexOf(name);
      const target = event.key === 'Home' ? TABS[0] : event.key === 'End' ? TABS.at(-1) : TABS[(index + step + TABS.length) % TABS.length];
      selectTab(target, { focusTab: true });
    });
    tabs.append(tab);
    ui.tabs[name] = tab;
    ui.panels[name] = el('div', { role: 'tabpanel', id: `planner-panel-${name}`, 'aria-labelledby': `planner-tab-${name}`, className: `tab-panel panel-${name}`, hidden: '' });
  }
  ui.tablist = tabs;
  sheet.body.append(ui.loginMessage, login, tabs, ...Object.values(ui.panels));
  buildModeration();
  buildWalk();
  setupWorkspace({ api, signedIn: () => Boolean(ui.token), openTab }, ui.panels);
  sheet.onClose = () => {
    ui.walkLocation?.picker.stop();
    ui.showMarker?.remove();
    ui.showMarker = null;
    showWorkspaceTab(null);
  };
}

function renderSignedIn() {
  const signedIn = Boolean(ui.token);
  ui.login.hidden = signedIn;
  ui.tablist.hidden = !signedIn;
  ui.logout.hidden = !signedIn;
  for (const [name, panel] of Object.entries(ui.panels)) panel.hidden = !signedIn || ui.tab !== name;
  // Where staff look first: the top bar, signed in or not.
  ui.topbarButton.hidden = false;
  ui.topbarButton.firstChild.dataset.i18n = signedIn ? 'plannerShort' : 'plannerSignIn';
  ui.topbarButton.firstChild.textContent = t(ui.topbarButton.firstChild.dataset.i18n);
  ui.topbarButton.classList.toggle('signed-in', signedIn);
  ui.entry.dataset.i18n = signedIn ? 'plannerEntryOpen' : 'plannerEntry';
  ui.entry.textContent = t(ui.entry.dataset.i18n);
  renderTabCounts();
}

function signOut(messageKey) {
  storeToken(null);
  ui.walk = null;
  ui.walkObservations = [];
  ui.reports = [];
  ui.newCount = null;
  ui.walkLocation?.picker.stop();
  ui.loginMessage.textContent = messageKey ? t(messageKey) : '';
  renderSignedIn();
  renderWalk();
  workspaceSignedIn(false);
  if (ui.sheet.isOpen) ui.login.querySelector('input').focus();
}

function openPlanner(opener) {
  ui.sheet.open(opener, { focus: null });
  renderSignedIn();
  if (ui.token) selectTab(ui.tab, { focus: true });
  else ui.login.querySelector('input').focus();
}

/** Opens the sheet on a tab (the workspace's buttons and popups move between tabs). */
function openTab(name) {
  ui.tab = name;
  if (ui.sheet.isOpen) selectTab(name, { focus: true });
  else openPlanner(ui.topbarButton);
}

function selectTab(name, { focus = false, focusTab = false } = {}) {
  ui.tab = name;
  for (const [tabName, tab] of Object.entries(ui.tabs)) {
    const selected = tabName === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    ui.panels[tabName].hidden = !ui.token || !selected;
  }
  // A walk, a drawing and the hexagons need the map: on a phone the sheet leaves more of it free.
  const size = name === 'walk' ? 'compact' : name === 'moderation' ? 'tall' : workspaceSheetSize(name);
  ui.sheet.element.classList.toggle('compact', size === 'compact');
  ui.sheet.element.classList.toggle('tall', size === 'tall');
  ui.sheet.element.classList.toggle('workspace', WORKSPACE_TABS.includes(name));
  if (name === 'walk') loadWalks();
  else if (name === 'moderation') loadQueue();
  // The walk's point picker lets go of the map clicks before a drawing may take them.
  renderWalk();
  showWorkspaceTab(name);
  // On a phone the tabs are one scrolling row: the chosen one is scrolled into it.
  ui.tabs[name].scrollIntoView({ block: 'nearest', inline: 'nearest' });
  if (focusTab) ui.tabs[name].focus();
  else if (focus) ui.tabs[name].focus();
}

function renderTabCounts() {
  const count = ui.tabs.moderation.querySelector('.tab-count');
  count.textContent = ui.newCount ? ` (${formatNumber(ui.newCount)})` : '';
  count.title = ui.newCount ? t('plannerNewCount', { n: ui.newCount }) : '';
}

// ---------------------------------------------------------------------------------------------
// Moderation
// ---------------------------------------------------------------------------------------------

function buildModeration() {
  const panel = ui.panels.moderation;
  const select = el('select', { id: 'mod-queue' });
  select.addEventListener('change', () => {
    ui.queue = select.value;
    loadQueue();
  });
  ui.queueSelect = select;
  const refresh = el('button', { type: 'button', className: 'btn btn-small btn-secondary', id: 'mod-refresh' }, text('span', 'modRefresh'));
  refresh.addEventListener('click', () => loadQueue());
  ui.modMessage = el('p', { className: 'planner-message', id: 'mod-message', role: 'status', tabindex: '-1' });
  ui.modCount = el('p', { className: 'note mod-count' });
  ui.modList = el('ol', { className: 'mod-list', id: 'mod-list' });
  ui.modMore = el('button', { type: 'button', className: 'btn btn-secondary', hidden: '' }, text('span', 'modMore'));
  ui.modMore.addEventListener('click', () => loadQueue({ append: true }));
  panel.append(
    el('div', { className: 'mod-toolbar' }, text('label', 'modQueue', { for: 'mod-queue' }), select, refresh),
    ui.modMessage, ui.modCount, ui.modList, ui.modMore,
  );
  renderQueueOptions();
}

function renderQueueOptions() {
  ui.queueSelect.replaceChildren(...QUEUES.map((queue) => {
    const option = el('option', { value: queue, text: t(`modQueue_${queue}`) });
    option.selected = queue === ui.queue;
    return option;
  }));
}

async function loadQueue({ append = false } = {}) {
  if (!ui.token) return;
  const offset = append ? ui.reports.length : 0;
  ui.modList.setAttribute('aria-busy', 'true');
  try {
    await loadServices().catch(() => {});
    const data = ui.queue === 'published'
      ? await publishedPage(offset)
      : await api('api/reports', { query: { status: ui.queue, limit: PAGE_SIZE, offset } });
    const reports = data?.reports ?? [];
    ui.reports = append ? [...ui.reports, ...reports] : reports;
    ui.total = Number(data?.numberMatched ?? ui.reports.length);
    if (ui.queue === 'new') ui.newCount = ui.total;
    renderQueue({ appendFrom: append ? offset : null });
    renderTabCounts();
  } catch (error) {
    if (ui.token) {
      ui.modMessage.classList.add('is-error');
      ui.modMessage.textContent = t('modLoadFailed', { detail: error.message });
    }
  } finally {
    ui.modList.removeAttribute('aria-busy');
  }
}

/**
 * One page of every published report (the statuses a published report moves through), newest
 * first: the API filters by one status, so the page is merged from the first `offset + PAGE_SIZE`
 * of each, which holds the newest `offset + PAGE_SIZE` of them all.
 */
async function publishedPage(offset) {
  const answers = await Promise.all(STATUS_STEPS.map((status) => api('api/reports', { query: { status, limit: offset + PAGE_SIZE, offset: 0 } })));
  const all = answers.flatMap((data) => data?.reports ?? [])
    .filter((report) => report.published !== false)
    .sort((a, b) => String(b.requested_datetime).localeCompare(String(a.requested_datetime)) || Number(b.service_request_id) - Number(a.service_request_id));
  const matched = answers.reduce((sum, data) => sum + Number(data?.numberMatched ?? 0), 0);
  return { numberMatched: matched, reports: all.slice(offset, offset + PAGE_SIZE) };
}

function renderQueue({ appendFrom = null } = {}) {
  ui.modCount.textContent = ui.total ? t('modCount', { n: formatNumber(ui.total), shown: formatNumber(ui.reports.length) }) : t('modEmpty');
  if (appendFrom == null) ui.modList.replaceChildren(...ui.reports.map(reportCard));
  else ui.modList.append(...ui.reports.slice(appendFrom).map(reportCard));
  ui.modMore.hidden = ui.reports.length >= ui.total;
}

function textBlock(titleKey, value, className) {
  return el('div', { className: `mod-text ${className}` }, text('h4', titleKey), el('p', { className: 'report-text', text: value ?? '' }));
}

function reportCard(report) {
  const id = String(report.service_request_id);
  const status = report.detailed_status ?? report.status;
  const headingId = uid('mod-card');
  const card = el('li', { className: 'mod-card', 'data-report-id': id, 'aria-labelledby': headingId });
  const heading = el('h3', { id: headingId, tabindex: '-1' }, el('span', { className: 'mod-id', text: `#${id}` }), ' ', el('span', { text: serviceLabel(report.service_code) }));
  const chips = el('p', { className: 'mod-chips' }, el('span', { className: `status-chip status-${status}`, text: statusLabel(status) }));
  if (report.published) chips.append(el('span', { className: 'status-chip published', text: t('modPublished') }));
  const meta = [formatDateTime(report.requested_datetime)];
  if (report.time_of_day) meta.push(timeOfDayLabel(report.time_of_day));
  if (Number(report.me_too)) meta.push(t('modMeToo', { n: formatNumber(Number(report.me_too)) }));
  card.append(el('header', { className: 'mod-head' }, heading, chips), el('p', { className: 'mod-meta', text: meta.join(' · ') }));

  const original = report.description_original ?? report.description;
  const texts = el('div', { className: 'mod-texts' },
    textBlock('modOriginal', original, 'mod-original'),
    textBlock('modScrubbed', report.description, 'mod-scrubbed'));
  card.append(texts);
  if (original === report.description) card.append(text('p', 'modUnchanged', { className: 'note' }));

  const contact = report.contact;
  const contactParts = contact ? [[contact.first_name, contact.last_name].filter(Boolean).join(' '), contact.email].filter(Boolean) : [];
  card.append(el('div', { className: 'mod-contact' }, text('h4', 'modContact'),
    contactParts.length ? el('p', { className: 'contact-text', text: contactParts.join(' · ') }) : text('p', 'modNoContact', { className: 'note' })));
  if (report.reason) card.append(el('p', { className: 'mod-reason' }, text('span', 'modReason'), ' ', el('span', { text: report.reason })));
  if (report.duplicate_of) card.append(el('p', { className: 'mod-reason' }, text('span', 'modDuplicateOf'), ' ', el('span', { text: `#${report.duplicate_of}` })));
  if (report.status_notes) card.append(el('p', { className: 'mod-reason' }, text('span', 'modStatusNote'), ' ', el('span', { text: report.status_notes })));

  const duplicates = report.possible_duplicates ?? [];
  if (duplicates.length) {
    card.append(el('div', { className: 'mod-dups' }, text('h4', 'modPossibleDuplicates'),
      el('ul', {}, ...duplicates.map((dup) => {
        const button = el('button', { type: 'button', className: 'btn btn-small btn-secondary' }, el('span', { text: t('modMarkDuplicateOf', { id: dup.service_request_id }) }));
        button.addEventListener('click', () => moderate(report, { action: 'mark_duplicate', duplicate_of: String(dup.service_request_id) }, null));
        const info = [`#${dup.service_request_id}`, serviceLabel(dup.service_code)];
        if (dup.distance_m != null) info.push(exactDistance(dup.distance_m));
        return el('li', {}, el('p', { className: 'dup-meta', text: info.join(' · ') }), el('p', { className: 'report-text', text: dup.description ?? '' }), button);
      }))));
  }

  // Actions.
  const actions = el('div', { className: 'mod-actions' });
  if (!report.published && status === 'new') {
    const publish = el('button', { type: 'button', className: 'btn btn-primary btn-publish' }, text('span', 'modPublish'));
    publish.addEventListener('click', () => moderate(report, { action: 'publish' }, null, publish));
    actions.append(publish);
  }
  const show = el('button', { type: 'button', className: 'btn btn-secondary' }, text('span', 'modShowOnMap'));
  show.addEventListener('click', () => showOnMap(report));
  actions.append(show);
  card.append(actions);

  const details = el('div', { className: 'mod-details' });
  if (status !== 'rejected') details.append(rejectAction(report));
  if (status !== 'duplicate') details.append(duplicateAction(report, duplicates));
  if (report.published || STATUS_STEPS.includes(status)) details.append(statusAction(report, status));
  details.append(historyAction(report));
  card.append(details);
  return card;
}

/** A moderator's distance between two exact positions: "the same spot" under a metre. */
function exactDistance(metres) {
  const m = Number(metres);
  return m < 1 ? t('modSameSpot') : t('distanceAway', { m: formatNumber(Math.round(m)) });
}

/** A `<details>` for one action: a form with its fields, its own error line and a button. */
function actionForm(summaryKey, className, fields, buttonKey, onSubmit) {
  const error = el('p', { className: 'field-error', hidden: '' });
  const button = el('button', { type: 'submit', className: 'btn btn-primary btn-small' }, text('span', buttonKey));
  const formEl = el('form', { className: 'action-form', novalidate: '' }, ...fields, error, button);
  const field = { element: formEl, error, controls: [] };
  formEl.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit({ field, button });
  });
  return el('details', { className: `mod-action ${className}` }, text('summary', summaryKey), formEl);
}

function rejectAction(report) {
  const id = uid('reject');
  const reason = el('textarea', { id, rows: '2', maxlength: '500', required: '' });
  return actionForm('modReject', 'action-reject', [text('label', 'modRejectReason', { for: id }), reason], 'modRejectButton', ({ field, button }) => {
    field.controls = [reason];
    if (!reason.value.trim()) {
      setFieldError(field, t('modRejectReasonMissing'));
      reason.focus();
      return;
    }
    moderate(report, { action: 'reject', reason: reason.value.trim() }, field, button);
  });
}

function duplicateAction(report, duplicates) {
  const selectId = uid('dup');
  const inputId = uid('dup-id');
  const select = el('select', { id: selectId },
    el('option', { value: '', text: t('modDuplicatePick') }),
    ...duplicates.map((dup) => el('option', {
      value: String(dup.service_request_id),
      text: [`#${dup.service_request_id}`, serviceLabel(dup.service_code), dup.distance_m != null ? exactDistance(dup.distance_m) : null].filter(Boolean).join(' · '),
    })));
  const input = el('input', { id: inputId, type: 'text', inputmode: 'numeric', autocomplete: 'off', size: '8' });
  const fields = [];
  if (duplicates.length) fields.push(text('label', 'modDuplicateSuggestions', { for: selectId }), select);
  fields.push(text('label', duplicates.length ? 'modDuplicateOther' : 'modDuplicateNumber', { for: inputId }), input);
  return actionForm('modDuplicate', 'action-duplicate', fields, 'modDuplicateButton', ({ field, button }) => {
    field.controls = [input];
    const target = (input.value.trim() || select.value).replace(/^#/, '');
    if (!target) {
      setFieldError(field, t('modDuplicateMissing'));
      (duplicates.length ? select : input).focus();
      return;
    }
    moderate(report, { action: 'mark_duplicate', duplicate_of: target }, field, button);
  });
}

function statusAction(report, status) {
  const selectId = uid('status');
  const noteId = uid('note');
  const select = el('select', { id: selectId }, ...STATUS_STEPS.map((step) => {
    const option = el('option', { value: step, text: statusLabel(step) });
    option.selected = step === (STATUS_STEPS[STATUS_STEPS.indexOf(status) + 1] ?? status);
    return option;
  }));
  const note = el('textarea', { id: noteId, rows: '3', maxlength: '2000', 'aria-describedby': `${noteId}-hint` });
  if (report.status_notes) note.value = report.status_notes;
  return actionForm('modSetStatus', 'action-status', [
    text('label', 'modNewStatus', { for: selectId }), select,
    text('label', 'modStatusNoteLabel', { for: noteId }), text('p', 'modStatusNoteHint', { className: 'hint', id: `${noteId}-hint` }), note,
  ], 'modSetStatusButton', ({ field, button }) => {
    field.controls = [note];
    const body = { action: 'set_status', status: select.value };
    if (note.value.trim()) body.status_note = note.value.trim();
    moderate(report, body, field, button);
  });
}

function historyAction(report) {
  const list = el('ol', { className: 'history-list' });
  const details = el('details', { className: 'mod-action action-history' }, text('summary', 'modHistory'), list);
  details.addEventListener('toggle', async () => {
    if (!details.open) return;
    list.replaceChildren(el('li', { className: 'note', text: t('modHistoryLoading') }));
    try {
      const data = await api(`api/reports/${encodeURIComponent(report.service_request_id)}/moderation`);
      const actions = data?.actions ?? [];
      if (!actions.length) {
        list.replaceChildren(el('li', { className: 'note', text: t('modHistoryEmpty') }));
        return;
      }
      list.replaceChildren(...actions.map((a) => {
        const bits = [];
        if (a.status) bits.push(statusLabel(a.status));
        if (a.duplicate_of) bits.push(t('modHistoryDuplicate', { id: a.duplicate_of }));
        if (a.reason) bits.push(t('modHistoryReason', { reason: a.reason }));
        if (a.status_note) bits.push(t('modHistoryNote', { note: a.status_note }));
        return el('li', {},
          el('span', { className: 'history-when', text: formatDateTime(a.at) }), ' ',
          el('strong', { text: actionLabel(a.action) }), ' ',
          el('span', { className: 'history-actor', text: a.actor ?? '' }),
          bits.length ? el('p', { className: 'history-bits', text: bits.join(' · ') }) : null);
      }));
    } catch (error) {
      list.replaceChildren(el('li', { className: 'field-error', text: t('modLoadFailed', { detail: error.message }) }));
    }
  });
  return details;
}

/** A moderation action's name; one this page does not know is shown as the API names it. */
function actionLabel(action) {
  const key = `modAction_${action}`;
  const label = t(key);
  return label === key ? String(action ?? '') : label;
}

async function moderate(report, body, field, button) {
  const id = String(report.service_request_id);
  if (field) setFieldError(field, null);
  if (button) button.disabled = true;
  try {
    // Decided on the report as shown: when another moderator changed it meanwhile the server
    // refuses (412) and the reloaded queue shows what they decided.
    await api(`api/reports/${encodeURIComponent(id)}/moderation`, { method: 'POST', body, ifMatch: report.moderation_version });
    // The list first, then the message: it is announced once the list shows the change.
    await loadQueue();
    ui.modMessage.classList.remove('is-error');
    ui.modMessage.textContent = t(`modDone_${body.action}`, { id, dup: body.duplicate_of ?? '', status: body.status ? statusLabel(body.status) : '' });
    reloadReports();
    ui.modMessage.focus();
  } catch (error) {
    // Changed by another moderator meanwhile: nothing was written, and the reloaded queue
    // shows the report as it is now.
    const meanwhile = error.status === 409 || error.status === 412;
    if (meanwhile) await loadQueue().catch(() => {});
    const message = meanwhile ? t('modChangedMeanwhile', { id }) : t('modActionFailed', { detail: error.message });
    if (field?.isConnected) setFieldError(field, message);
    else {
      ui.modMessage.classList.add('is-error');
      ui.modMessage.textContent = message;
      ui.modMessage.focus();
    }
  } finally {
    if (button?.isConnected) button.disabled = false;
  }
}

async function showOnMap(report) {
  const map = await appReady;
  // The planner's view has the exact point beside the public, generalised one.
  const lngLat = [Number(report.exact_long ?? report.long), Number(report.exact_lat ?? report.lat)];
  if (!lngLat.every(Number.isFinite)) return;
  ui.showMarker?.remove();
  ui.showMarker = new maplibregl.Marker({ element: el('div', { className: 'pin pin-planner', role: 'img', 'aria-label': `#${report.service_request_id}` }), anchor: 'bottom' })
    .setLngLat(lngLat).addTo(map);
  ui.showMarker.getElement().removeAttribute('tabindex');
  map.easeTo({ center: lngLat, zoom: Math.max(map.getZoom(), 16.5) });
}

// ---------------------------------------------------------------------------------------------
// Safety walks
// ---------------------------------------------------------------------------------------------

function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

function buildWalk() {
  const panel = ui.panels.walk;
  ui.walkMessage = el('p', { className: 'planner-message', id: 'walk-message', role: 'status', tabindex: '-1' });

  // Start a walk.
  const title = el('input', { id: 'walk-title', type: 'text', maxlength: '200', required: '', autocomplete: 'off' });
  const date = el('input', { id: 'walk-date', type: 'date', required: '', value: today() });
  const titleError = el('p', { className: 'field-error', hidden: '' });
  const roles = el('div', { className: 'choice-grid roles' }, ...ROLES.map((role) => {
    const id = `walk-role-${role.replace(/\s+/g, '-')}`;
    const input = el('input', { type: 'checkbox', id, value: role, name: 'participants' });
    return el('label', { className: 'choice', for: id }, input, text('span', `role_${role.replace(/\s+/g, '_')}`));
  }));
  const startButton = el('button', { type: 'submit', className: 'btn btn-primary' }, text('span', 'walkStart'));
  const startForm = el('form', { className: 'walk-start', novalidate: '' },
    text('h3', 'walkNew'),
    el('div', { className: 'field' }, text('label', 'walkTitle', { for: 'walk-title' }), title, titleError),
    el('div', { className: 'field' }, text('label', 'walkDate', { for: 'walk-date' }), date),
    el('fieldset', { className: 'field' }, text('legend', 'walkParticipants'), text('p', 'walkParticipantsHint', { className: 'hint' }), roles),
    el('div', { className: 'form-actions' }, startButton));
  const titleField = { element: startForm, error: titleError, controls: [title] };
  startForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    setFieldError(titleField, null);
    if (!title.value.trim() || !date.value) {
      setFieldError(titleField, t('walkTitleMissing'));
      (title.value.trim() ? date : title).focus();
      return;
    }
    const participants = [...roles.querySelectorAll('input:checked')].map((input) => input.value);
    startButton.disabled = true;
    try {
      const walk = await api('api/walks', { method: 'POST', body: { title: title.value.trim(), date: date.value, route: null, participants } });
      setActiveWalk({ id: walk.id, title: walk.title ?? title.value.trim(), date: walk.date ?? date.value, participants: walk.participants ?? participants });
      startForm.reset();
      date.value = today();
      ui.walkMessage.textContent = t('walkStarted', { title: ui.walk.title });
      ui.walkLocation.centre.focus();
    } catch (error) {
      setFieldError(titleField, t('modActionFailed', { detail: error.message }));
    } finally {
      startButton.disabled = false;
    }
  });
  ui.walkList = el('ul', { className: 'walk-list' });
  ui.walkStart = el('div', { className: 'walk-choose' }, startForm, text('h3', 'walkEarlier'), ui.walkList);

  // The active walk: observations.
  ui.walkLocation = locationField({ legendKey: 'walkWhere', hintKey: 'walkWhereHint', pinClass: 'pin-walk', labelKey: 'pinWalkLabel' });
  ui.walkLocation.controls = [ui.walkLocation.centre];
  const kinds = el('div', { className: 'choice-grid kinds', id: 'walk-kinds' });
  const kindError = el('p', { className: 'field-error', hidden: '' });
  ui.kindField = { element: el('fieldset', { className: 'field' }, text('legend', 'walkKind'), kinds, kindError), error: kindError, controls: [], list: kinds };
  const ratingError = el('p', { className: 'field-error', hidden: '' });
  const ratings = el('div', { className: 'rating-choice' }, ...[1, 2, 3, 4, 5].map((n) => {
    const id = `walk-rating-${n}`;
    const input = el('input', { type: 'radio', name: 'rating', value: String(n), id });
    const label = el('label', { className: `rating-option rating-${n}`, for: id }, input, el('span', { className: 'rating-number', text: String(n) }));
    label.style.setProperty('--swatch', RATING_COLOURS[n - 1]);
    return label;
  }));
  ui.ratingField = {
    element: el('fieldset', { className: 'field' }, text('legend', 'walkRating'), ratings,
      el('div', { className: 'ramp-labels' }, text('span', 'legendRating1'), text('span', 'legendRating5')), ratingError),
    error: ratingError,
    controls: [...ratings.querySelectorAll('input')],
  };
  const note = el('textarea', { id: 'walk-note', rows: '3', maxlength: '2000' });
  const save = el('button', { type: 'submit', className: 'btn btn-primary' }, text('span', 'walkSave'));
  const general = el('p', { className: 'form-error', role: 'alert', hidden: '' });
  const obsForm = el('form', { className: 'walk-observe', novalidate: '' },
    ui.walkLocation.element, ui.kindField.element, ui.ratingField.element,
    el('div', { className: 'field' }, el('label', { for: 'walk-note' }, text('span', 'walkNote'), ' ', text('span', 'optional', { className: 'optional' })), note),
    general,
    el('div', { className: 'form-actions' }, save));
  obsForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    general.hidden = true;
    const point = ui.walkLocation.picker.point;
    const kind = kinds.querySelector('input:checked')?.value;
    const rating = Number(ratings.querySelector('input:checked')?.value);
    const problems = [];
    if (!point) problems.push([ui.walkLocation, t('errNoPlace'), ui.walkLocation.centre]);
    if (!kind) problems.push([ui.kindField, t('walkKindMissing'), kinds.querySelector('input')]);
    if (!rating) problems.push([ui.ratingField, t('walkRatingMissing'), ratings.querySelector('input')]);
    for (const field of [ui.walkLocation, ui.kindField, ui.ratingField]) setFieldError(field, null);
    for (const [field, message] of problems) setFieldError(field, message);
    if (problems.length) {
      problems[0][2]?.focus();
      return;
    }
    save.disabled = true;
    try {
      const feature = await api(`api/walks/${encodeURIComponent(ui.walk.id)}/observations`, {
        method: 'POST', body: { kind, rating, note: note.value.trim(), lon: Number(point.lng.toFixed(7)), lat: Number(point.lat.toFixed(7)) },
      });
      ui.walkObservations.unshift(feature ?? { properties: { kind, rating, note: note.value.trim() } });
      saveWalkState();
      obsForm.reset();
      ui.walkLocation.picker.clear();
      ui.walkMessage.textContent = t('walkSaved', { n: ui.walkObservations.length });
      showObservationsLayer();
      await loadObservations();
      renderWalk();
      ui.walkMessage.focus();
    } catch (error) {
      general.hidden = false;
      general.textContent = t('modActionFailed', { detail: error.message });
    } finally {
      save.disabled = false;
    }
  });
  const end = el('button', { type: 'button', className: 'btn btn-small btn-secondary' }, text('span', 'walkEnd'));
  end.addEventListener('click', () => {
    setActiveWalk(null);
    loadWalks();
    ui.walkMessage.focus();
  });
  ui.walkHeading = el('h3', { className: 'walk-heading' });
  ui.walkObsList = el('ol', { className: 'walk-obs-list', id: 'walk-observations' });
  ui.walkObsHeading = el('h3', {});
  ui.walkActive = el('div', { className: 'walk-active', hidden: '' },
    el('div', { className: 'walk-head' }, ui.walkHeading, end),
    obsForm, ui.walkObsHeading, ui.walkObsList);
  panel.append(ui.walkMessage, ui.walkStart, ui.walkActive);

  try {
    const saved = JSON.parse(window.sessionStorage.getItem(WALK_KEY) ?? 'null');
    if (saved?.walk) {
      ui.walk = saved.walk;
      ui.walkObservations = saved.observations ?? [];
    }
  } catch {
    // nothing kept
  }
  renderKinds();
  renderWalk();
}

function saveWalkState() {
  try {
    if (ui.walk) window.sessionStorage.setItem(WALK_KEY, JSON.stringify({ walk: ui.walk, observations: ui.walkObservations.slice(0, 100) }));
    else window.sessionStorage.removeItem(WALK_KEY);
  } catch {
    // storage disabled
  }
}

function setActiveWalk(walk) {
  ui.walk = walk;
  ui.walkObservations = [];
  saveWalkState();
  ui.walkLocation.picker.clear();
  renderWalk();
}

function showObservationsLayer() {
  const toggle = document.querySelector('#layer-observations');
  if (toggle && !toggle.checked) {
    toggle.checked = true;
    toggle.dispatchEvent(new Event('change'));
  }
}

function renderKinds() {
  const list = ui.kindField.list;
  const selected = list.querySelector('input:checked')?.value;
  const kinds = observationKinds();
  list.replaceChildren(...kinds.map((kind) => {
    const id = `walk-kind-${kind.code}`;
    const input = el('input', { type: 'radio', name: 'kind', value: kind.code, id });
    input.checked = kind.code === selected;
    return el('label', { className: 'choice', for: id }, input, el('span', { text: apiLabel(kind) }));
  }));
  ui.kindField.controls = [...list.querySelectorAll('input')];
}

async function loadWalks() {
  if (!ui.token || ui.walk) return;
  try {
    const data = await api('api/walks');
    ui.walks = data?.walks ?? [];
    renderWalkList();
  } catch (error) {
    if (ui.token) ui.walkMessage.textContent = t('modLoadFailed', { detail: error.message });
  }
}

function roleLabel(role) {
  const key = `role_${String(role).replace(/\s+/g, '_')}`;
  const label = t(key);
  return label === key ? role : label;
}

function renderWalkList() {
  if (!ui.walks.length) {
    ui.walkList.replaceChildren(el('li', { className: 'note', text: t('walkNone') }));
    return;
  }
  ui.walkList.replaceChildren(...ui.walks.slice().reverse().map((walk) => {
    const resume = el('button', { type: 'button', className: 'btn btn-small btn-secondary' }, el('span', { text: t('walkContinue') }));
    resume.addEventListener('click', () => {
      setActiveWalk({ id: walk.id, title: walk.title, date: walk.date, participants: walk.participants ?? [] });
      ui.walkLocation.centre.focus();
    });
    const info = [walk.date, (walk.participants ?? []).map(roleLabel).join(', '), t('walkObservationCount', { n: formatNumber(Number(walk.observations) || 0) })].filter(Boolean);
    return el('li', {}, el('p', { className: 'walk-title', text: walk.title ?? `#${walk.id}` }), el('p', { className: 'note', text: info.join(' · ') }), resume);
  }));
}

function renderWalk() {
  const active = Boolean(ui.walk) && Boolean(ui.token);
  ui.walkStart.hidden = active;
  ui.walkActive.hidden = !active;
  // Map clicks place the observation only while its form is on screen.
  if (active && ui.tab === 'walk' && ui.sheet.isOpen) ui.walkLocation.picker.start();
  else ui.walkLocation.picker.stop({ clear: false });
  if (!active) {
    renderWalkList();
    return;
  }
  ui.walkHeading.textContent = t('walkActive', { title: ui.walk.title, date: ui.walk.date });
  ui.walkObsHeading.textContent = t('walkObservationsHeading', { n: formatNumber(ui.walkObservations.length) });
  ui.walkObsList.replaceChildren(...ui.walkObservations.map((feature) => {
    const p = feature.properties ?? {};
    const kind = observationKinds().find((k) => k.code === p.kind);
    const dot = el('span', { className: 'swatch', 'aria-hidden': 'true' });
    dot.style.setProperty('--swatch', RATING_COLOURS[Number(p.rating) - 1] ?? '#9aa4af');
    return el('li', {}, dot, ' ',
      el('strong', { text: kind ? apiLabel(kind) : p.kind }), ' ',
      el('span', { text: t('ratingOf5', { n: p.rating }) }),
      p.observed_at ? el('span', { className: 'note', text: ` · ${formatDateTime(p.observed_at)}` }) : null,
      p.note ? el('p', { className: 'report-text', text: p.note }) : null);
  }));
  if (!ui.walkObservations.length) ui.walkObsList.append(el('li', { className: 'note', text: t('walkNoObservations') }));
}

// ---------------------------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------------------------

function start() {
  ui.entry = document.querySelector('#planner-entry');
  ui.entry.addEventListener('click', () => openPlanner(ui.entry));
  // The secretariat's sign-in (and, signed in, its tools) one tap away in the top bar.
  ui.topbarButton = el('button', { type: 'button', id: 'planner-button', className: 'planner-button', 'aria-haspopup': 'dialog', 'aria-controls': 'planner-sheet' },
    text('span', 'plannerSignIn'));
  ui.topbarButton.addEventListener('click', () => openPlanner(ui.topbarButton));
  document.querySelector('.topbar').insertBefore(ui.topbarButton, document.querySelector('#lang-switch'));
  buildSheet();
  renderSignedIn();
  onLanguageChange(() => {
    renderQueueOptions();
    renderKinds();
    renderSignedIn();
    if (ui.reports.length || ui.token) renderQueue();
    renderWalk();
    ui.walkLocation.render();
  });
  // The observation kinds come with the app's metadata.
  appReady.then(() => {
    renderKinds();
    if (ui.token && ui.walk) renderWalk();
  });
}

start();
