// "My reports": the reports a resident sent (or followed) from this device, kept in localStorage
// (number, follow key, type, when) so they are not lost with the confirmation page; a way to
// forget them; and the look-up by report number plus key (or the whole follow link pasted).
//
// The follow key is the resident's own secret for one report: it is kept only on this device and
// sent only to this service, to read that report's status. Nothing here is shared with the map.
// reports.js builds its views with these pieces; this module imports only app.js.

import { el, formatDateTime, t } from './app.js';

const STORE_KEY = 'hotspot.myReports';
/** At most this many are kept (the oldest are forgotten first). */
const MAX_KEPT = 50;

/** The kept reports, newest first: [{id, key, service_code, at}]. */
export function myReports() {
  try {
    const list = JSON.parse(window.localStorage.getItem(STORE_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((r) => r && r.id && r.key) : [];
  } catch {
    return [];
  }
}

function save(list) {
  try {
    if (list.length) window.localStorage.setItem(STORE_KEY, JSON.stringify(list.slice(0, MAX_KEPT)));
    else window.localStorage.removeItem(STORE_KEY);
  } catch {
    // storage disabled or full: the follow link on the confirmation still works
  }
  for (const listener of listeners) listener(myReports());
}

const listeners = [];
/** Calls `fn(list)` whenever the kept reports change. */
export function onMyReportsChange(fn) {
  listeners.push(fn);
}

/** Keeps (or refreshes) a report on this device. */
export function rememberReport({ id, key, service_code: serviceCode = null, at = new Date().toISOString() }) {
  if (!id || !key) return;
  const list = myReports().filter((r) => String(r.id) !== String(id));
  const before = myReports().find((r) => String(r.id) === String(id));
  list.unshift({ id: String(id), key: String(key), service_code: serviceCode ?? before?.service_code ?? null, at: before?.at ?? at });
  list.sort((a, b) => String(b.at).localeCompare(String(a.at)));
  save(list);
}

export function forgetReport(id) {
  save(myReports().filter((r) => String(r.id) !== String(id)));
}

export function forgetAllReports() {
  save([]);
}

/**
 * Reads a report number and key from what a person typed: the number and key as given, or a
 * follow link (…?report=12&key=12_abc) pasted into either box. Returns {id, key} or null.
 */
export function parseLookup(number, key) {
  for (const value of [key, number]) {
    const match = /[?&]report=([^&#\s]+)&key=([^&#\s]+)/.exec(String(value ?? ''));
    if (match) return { id: decodeURIComponent(match[1]), key: decodeURIComponent(match[2]) };
  }
  const id = String(number ?? '').trim().replace(/^#/, '');
  const k = String(key ?? '').trim();
  if (!/^\d+$/.test(id) || !k) return null;
  return { id, key: k };
}

let lookupCounter = 0;

/**
 * The look-up form: report number and key (or the pasted link). `onLookup(id, key)` opens it.
 * `id` prefills the number (e.g. after a wrong key).
 */
export function lookupForm({ onLookup, id = '' }) {
  const n = (lookupCounter += 1);
  const number = el('input', { type: 'text', id: `lookup-number-${n}`, inputmode: 'numeric', autocomplete: 'off', size: '8', value: String(id ?? '') });
  const key = el('input', { type: 'text', id: `lookup-key-${n}`, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `lookup-key-hint-${n}` });
  const error = el('p', { className: 'field-error', id: `lookup-error-${n}`, role: 'alert', hidden: '' });
  const submit = el('button', { type: 'submit', className: 'btn btn-primary btn-small' }, el('span', { 'data-i18n': 'lookupButton', text: t('lookupButton') }));
  const form = el('form', { className: 'lookup-form', novalidate: '' },
    el('div', { className: 'lookup-fields' },
      el('div', { className: 'field' }, el('label', { for: number.id, 'data-i18n': 'lookupNumber', text: t('lookupNumber') }), number),
      el('div', { className: 'field field-key' }, el('label', { for: key.id, 'data-i18n': 'lookupKey', text: t('lookupKey') }),
        el('p', { className: 'hint', id: `lookup-key-hint-${n}`, 'data-i18n': 'lookupKeyHint', text: t('lookupKeyHint') }), key)),
    error, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const found = parseLookup(number.value, key.value);
    if (!found) {
      error.hidden = false;
      error.textContent = t('lookupMissing');
      (number.value.trim() ? key : number).focus();
      return;
    }
    error.hidden = true;
    onLookup(found.id, found.key);
  });
  return form;
}

/**
 * The list of kept reports with their current status (read with each key), an "open" and a
 * "forget" button each, and "forget all". `onOpen(id, key)` shows one; `serviceLabel(code)`
 * and `statusLabel(status)` name things; `fetchStatus(id, key)` resolves with the report or null.
 */
export function myReportsList({ onOpen, serviceLabel, statusLabel, fetchStatus }) {
  const section = el('section', { className: 'my-reports', 'aria-labelledby': 'my-reports-heading' });
  const render = () => {
    const list = myReports();
    const items = list.map((r) => {
      const status = el('span', { className: 'status-chip status-loading', text: '…' });
      fetchStatus(r.id, r.key).then((report) => {
        const s = report ? (report.detailed_status ?? report.status) : null;
        status.className = `status-chip status-${s ?? 'unknown'}`;
        status.textContent = s ? statusLabel(s) : t('myReportsUnknown');
      });
      const open = el('button', { type: 'button', className: 'btn btn-small btn-secondary' }, el('span', { text: t('myReportsOpen') }));
      open.addEventListener('click', () => onOpen(r.id, r.key));
      const forget = el('button', { type: 'button', className: 'btn btn-small btn-quiet', 'aria-label': t('myReportsForgetOne', { id: r.id }) }, el('span', { text: t('myReportsForget') }));
      forget.addEventListener('click', () => forgetReport(r.id));
      return el('li', { className: 'my-report', 'data-report-id': r.id },
        el('p', { className: 'my-report-head' },
          el('strong', { text: `#${r.id}` }), ' ',
          el('span', { text: r.service_code ? serviceLabel(r.service_code) : '' }), ' ', status),
        el('p', { className: 'note', text: r.at ? t('myReportsSent', { when: formatDateTime(r.at, false) }) : '' }),
        el('div', { className: 'button-row' }, open, forget));
    });
    const forgetAll = el('button', { type: 'button', className: 'btn btn-small btn-quiet', id: 'my-reports-forget-all' }, el('span', { text: t('myReportsForgetAll') }));
    forgetAll.addEventListener('click', () => {
      if (window.confirm(t('myReportsForgetAllConfirm'))) forgetAllReports();
    });
    section.replaceChildren(
      el('h3', { id: 'my-reports-heading', text: t('myReportsHeading') }),
      list.length ? el('ul', { className: 'my-report-list', id: 'my-report-list' }, ...items) : el('p', { className: 'note', text: t('myReportsNone') }),
      el('p', { className: 'note', text: t('myReportsPrivacy') }),
      list.length ? el('div', { className: 'button-row' }, forgetAll) : '',
    );
  };
  render();
  onMyReportsChange(render);
  return { element: section, render };
}
