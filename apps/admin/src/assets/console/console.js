// Crest admin console: each page is drawn from the JSON API (/api/*), the same one scripts use. No
// framework: elements are built with textContent only, so nothing a payload holds is ever parsed as HTML.
'use strict';

const REFRESH_MS = 5000;
let me = null;
let timer = null;
let refreshNow = async () => undefined;

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'className') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  return fill(el, ...children);
}

/** Replaces an element's children: nested arrays flattened, null/undefined/false left out, text as text. */
function fill(el, ...children) {
  el.replaceChildren();
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const fmt = (value, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : Number(value).toFixed(digits);
const ms = (value) => (value === null || value === undefined ? '–' : `${fmt(value, value < 10 ? 2 : 1)} ms`);
const card = (label, value, id) =>
  h(
    'div',
    { className: 'card', 'data-testid': id },
    h('div', { className: 'label' }, label),
    h('div', { className: 'value' }, value),
  );
const table = (headers, rows, attrs) =>
  h(
    'table',
    attrs ?? {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((header) =>
          h('th', { className: /\/s|ms|%|count|lag|score|#/i.test(header) ? 'num' : '' }, header),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length
        ? rows
        : h('tr', {}, h('td', { colspan: headers.length, className: 'muted' }, 'nothing yet')),
    ),
  );
const notice = (text) => h('div', { className: 'notice', role: 'status' }, text);
const badge = (text, tone) => h('span', { className: `badge ${tone ?? ''}` }, text);

async function api(path, options = {}) {
  const headers = { accept: 'application/json', ...(options.headers ?? {}) };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.method && options.method !== 'GET' && me?.csrfToken) headers[me.csrfHeader] = me.csrfToken;
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
  });
  if (response.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new Error('signed out');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message ?? `${response.status} ${response.statusText}`);
  return body;
}

function render(...children) {
  fill(document.getElementById('page'), ...children);
}

async function refreshing(draw) {
  clearTimeout(timer);
  const tick = async () => {
    try {
      await draw();
    } catch (error) {
      if (error.message !== 'signed out')
        render(h('h1', {}, document.title), h('p', { className: 'error' }, error.message));
    }
    timer = setTimeout(tick, REFRESH_MS);
  };
  refreshNow = async () => {
    clearTimeout(timer);
    await tick();
  };
  await tick();
}

// ---- Pipeline -------------------------------------------------------------------------------------

let chart = null;
async function pipelinePage() {
  await refreshing(async () => {
    const view = await api('/api/pipeline');
    const lagTotal = view.lag.total;
    const deadLetters = (view.deadLetters ?? []).reduce((sum, t) => sum + t.total, 0);
    const chartBox = h('div', { id: 'chart', className: 'panel' });
    render(
      h('h1', {}, 'Pipeline'),
      view.ingestor.up
        ? null
        : notice(`event-ingestor metrics unavailable: ${view.ingestor.lastError ?? 'not scraped yet'}`),
      h(
        'div',
        { className: 'cards' },
        card('Events / s (1 min)', fmt(view.totalEventsPerSecond), 'events-per-second'),
        card('Docs / s', fmt(view.docsPerSecond), 'docs-per-second'),
        card('Freshness p50', ms(view.freshness.windowP50Ms), 'freshness-p50'),
        card('Freshness p99', ms(view.freshness.windowP99Ms), 'freshness-p99'),
        card('Consumer lag', lagTotal === null ? '–' : String(lagTotal), 'lag-total'),
        card('Dead letters', view.deadLetters ? String(deadLetters) : '–', 'dlq-total'),
      ),
      h('h2', {}, 'Freshness over the last hour (event time to durable in every sink)'),
      chartBox,
      h('h2', {}, 'Events per second by type'),
      h(
        'div',
        { className: 'panel' },
        table(
          ['type', 'events/s'],
          view.eventsPerSecond.map((e) =>
            h('tr', {}, h('td', {}, e.type), h('td', { className: 'num' }, fmt(e.perSecond))),
          ),
          { 'data-testid': 'events-by-type' },
        ),
      ),
      h('h2', {}, `Consumer lag per partition (${view.lag.groupId})`),
      view.lag.error ? notice(view.lag.error) : null,
      h(
        'div',
        { className: 'panel' },
        table(
          ['topic', 'partition', 'lag'],
          view.lag.partitions.map((p) =>
            h('tr', {}, h('td', {}, p.topic), h('td', {}, p.partition), h('td', { className: 'num' }, p.lag)),
          ),
          { 'data-testid': 'lag-table' },
        ),
      ),
      h('h2', {}, 'Dead letters'),
      view.deadLetters ? null : notice('dead letters are read from Kafka: set KAFKA_BROKERS'),
      h(
        'div',
        { className: 'panel' },
        table(
          ['topic', 'count', 'by error code'],
          (view.deadLetters ?? []).map((t) =>
            h(
              'tr',
              {},
              h(
                'td',
                {},
                h('a', { href: `/dead-letters?topic=${encodeURIComponent(t.sourceTopic)}` }, t.dlqTopic),
              ),
              h('td', { className: 'num' }, t.total),
              h(
                'td',
                {},
                Object.entries(t.byCode)
                  .map(([code, n]) => `${code}: ${n}`)
                  .join(', ') || '–',
              ),
            ),
          ),
          { 'data-testid': 'dlq-table' },
        ),
      ),
    );
    drawFreshness(chartBox, view.freshness.series);
  });
}

function drawFreshness(box, series) {
  const xs = series.map((p) => Date.parse(p.at) / 1000);
  const data = [xs, series.map((p) => p.p50Ms), series.map((p) => p.p99Ms)];
  const width = Math.max(320, box.clientWidth - 28);
  if (typeof uPlot === 'undefined') return;
  chart?.destroy();
  chart = new uPlot(
    {
      width,
      height: 240,
      series: [
        {},
        { label: 'p50 ms', stroke: '#3056d3', width: 2, spanGaps: true },
        { label: 'p99 ms', stroke: '#c0262d', width: 2, spanGaps: true },
      ],
      axes: [{}, { label: 'ms' }],
    },
    data,
    box,
  );
}

// ---- Backends -------------------------------------------------------------------------------------

const CIRCUIT_TONE = { closed: 'ok', 'half-open': 'warn', open: 'bad', isolated: 'bad' };

async function backendsPage() {
  const operator = me.role === 'operator';
  // Drawn once, outside the refresh: what an operator types must survive the redraws.
  const controls = operator
    ? h(
        'div',
        { className: 'row' },
        h('label', { for: 'switch-reason' }, 'Reason for a switch'),
        h('input', { id: 'switch-reason', size: 48, placeholder: 'e.g. ES cluster degraded, INC-123' }),
      )
    : null;
  const problems = h('div');
  const body = h('div');
  render(h('h1', {}, 'Backends'), controls, problems, body);
  await refreshing(async () => {
    const view = await api('/api/backends');
    const rows = view.backends.map((b) =>
      h(
        'tr',
        { 'data-backend': b.name },
        h('td', {}, h('strong', {}, b.name)),
        h(
          'td',
          {},
          b.circuits.map((c) =>
            h(
              'div',
              {},
              badge(c.state, CIRCUIT_TONE[c.state]),
              ' ',
              h('span', { className: 'muted' }, c.url),
            ),
          ),
        ),
        h('td', { className: 'num' }, fmt(b.callsPerSecond)),
        h('td', { className: 'num' }, ms(b.p50Ms)),
        h('td', { className: 'num' }, ms(b.p99Ms)),
        h('td', { className: 'num' }, b.errorRate === null ? '–' : `${fmt(b.errorRate * 100, 2)} %`),
        h('td', { className: 'num' }, b.fallbacksFrom ?? '–'),
        h('td', { className: 'num' }, b.fallbacksTo ?? '–'),
        h(
          'td',
          {},
          operator
            ? h(
                'div',
                { className: 'row' },
                h(
                  'button',
                  {
                    className: 'danger',
                    'data-testid': `switch-off-${b.name}`,
                    onclick: () => flip(b.name, 'off'),
                  },
                  'Force off',
                ),
                h(
                  'button',
                  { 'data-testid': `switch-on-${b.name}`, onclick: () => flip(b.name, 'on') },
                  'Release',
                ),
              )
            : h('span', { className: 'muted' }, 'operator only'),
        ),
      ),
    );
    fill(
      body,
      ...view.instances
        .filter((i) => !i.up)
        .map((i) => notice(`feed-api ${i.url}: ${i.lastError ?? 'not scraped yet'}`)),
      h(
        'div',
        { className: 'panel' },
        table(
          [
            'backend',
            'circuit per feed-api',
            'calls/s',
            'p50 ms',
            'p99 ms',
            'errors %',
            'fallbacks from',
            'fallbacks to',
            'kill switch',
          ],
          rows,
          { 'data-testid': 'backends-table' },
        ),
      ),
      h(
        'p',
        { className: 'muted' },
        `Rates over the last ${view.windowSeconds ?? '–'} s. "Force off" isolates a backend on every feed-api (its carousels use their fallback) within seconds; "Release" hands it back to its circuit breaker.`,
      ),
      h('h2', {}, 'Fallbacks (last minute)'),
      h(
        'div',
        { className: 'panel' },
        table(
          ['call site', 'from', 'to', 'reason', 'count'],
          view.fallbacks.map((f) =>
            h(
              'tr',
              {},
              h('td', {}, f.callSite),
              h('td', {}, f.from),
              h('td', {}, f.to),
              h('td', {}, f.reason),
              h('td', { className: 'num' }, f.count),
            ),
          ),
          { 'data-testid': 'fallbacks-table' },
        ),
      ),
      h('h2', {}, 'Recent switches'),
      h(
        'div',
        { className: 'panel' },
        table(
          ['at', 'backend', 'by', 'detail'],
          view.switches.map((s) =>
            h(
              'tr',
              {},
              h('td', {}, s.at),
              h('td', {}, s.target),
              h('td', {}, s.actor),
              h('td', {}, `${s.detail.state}: ${s.detail.reason}`),
            ),
          ),
        ),
      ),
    );
  }, problems);
}

async function flip(backend, state) {
  const input = document.getElementById('switch-reason');
  const reason = input?.value.trim();
  if (!reason) {
    input?.focus();
    alert('Say why in the reason field: it goes to the audit log.');
    return;
  }
  try {
    await api(`/api/backends/${backend}/switch`, { method: 'POST', body: { state, reason } });
    clearTimeout(timer);
    await refreshNow();
  } catch (error) {
    alert(`The switch failed: ${error.message}`);
  }
}

// ---- Experiments ----------------------------------------------------------------------------------

async function experimentsPage() {
  clearTimeout(timer);
  const view = await api('/api/experiments');
  const status = view.status;
  const validity = view.homeFeedConfig;
  render(
    h('h1', {}, 'Experiments'),
    h(
      'div',
      { className: 'cards' },
      card('Payload source', status.source, 'payload-source'),
      card('Loaded', new Date(status.loadedAt).toLocaleTimeString(), 'payload-loaded'),
      card('home-feed-config', validity.problems.length === 0 ? 'valid' : 'INVALID', 'config-validity'),
      card('Features', String(view.features.length), 'feature-count'),
    ),
    status.lastError
      ? notice(`Last payload rejected or unreachable (the previous one stays in force): ${status.lastError}`)
      : null,
    validity.problems.map((p) => h('p', { className: 'error' }, p)),
    h(
      'p',
      { className: 'muted' },
      `Read from feed-api ${view.feedApi}: ${view.growthbook?.apiHost ? `GrowthBook ${view.growthbook.apiHost}` : `payload file ${view.growthbook?.payloadFile ?? '–'}`}. `,
      h('a', { href: view.links.growthbook, target: '_blank', rel: 'noopener' }, 'Open GrowthBook'),
      ' · ',
      h(
        'a',
        { href: view.links.experiments, target: '_blank', rel: 'noopener' },
        'Experiments in GrowthBook',
      ),
    ),
    view.features.map((feature) =>
      h(
        'section',
        { className: 'carousel', 'data-feature': feature.key },
        h(
          'h2',
          {},
          feature.key,
          h(
            'a',
            { href: view.links.features[feature.key], target: '_blank', rel: 'noopener' },
            'edit in GrowthBook',
          ),
        ),
        h(
          'div',
          { className: 'panel' },
          table(
            ['rule', 'kind', 'experiment', 'condition', 'coverage', 'variations'],
            feature.rules.map((rule, i) =>
              h(
                'tr',
                {},
                h('td', {}, rule.id ?? `#${i + 1}`),
                h('td', {}, badge(rule.kind, rule.kind === 'experiment' ? 'ok' : '')),
                h('td', {}, rule.experimentKey ?? '–'),
                h('td', { className: 'contrib' }, rule.condition ? JSON.stringify(rule.condition) : '–'),
                h(
                  'td',
                  { className: 'num' },
                  rule.coverage === undefined || rule.coverage === null
                    ? '–'
                    : `${fmt(rule.coverage * 100, 0)} %`,
                ),
                h(
                  'td',
                  {},
                  (rule.variations ?? []).map((v) =>
                    h('div', {}, `${v.index}: ${v.name ?? v.key ?? ''} (${fmt((v.weight ?? 0) * 100, 0)} %)`),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---- Explain --------------------------------------------------------------------------------------

async function explainPage() {
  clearTimeout(timer);
  const params = new URLSearchParams(location.search);
  let variations = [];
  try {
    const experiments = await api('/api/experiments');
    for (const feature of experiments.features)
      for (const rule of feature.rules)
        if (rule.kind === 'experiment' && rule.experimentKey)
          for (const v of rule.variations ?? [])
            variations.push({
              value: `${rule.experimentKey}:${v.index}`,
              label: `${rule.experimentKey}: ${v.name ?? v.key ?? v.index}`,
            });
  } catch {
    variations = [];
  }
  const userInput = h('input', {
    id: 'explain-user',
    placeholder: 'user id',
    value: params.get('userId') ?? '',
    required: true,
  });
  const force = h(
    'select',
    { id: 'explain-force' },
    h('option', { value: '' }, 'as assigned'),
    variations.map((v) =>
      h('option', { value: v.value, selected: params.get('force') === v.value }, v.label),
    ),
  );
  const result = h('div', { id: 'explain-result' });
  const form = h(
    'form',
    {
      className: 'row',
      id: 'explain-form',
      onsubmit: async (event) => {
        event.preventDefault();
        const query = new URLSearchParams({ userId: userInput.value.trim() });
        if (force.value) query.set('force', force.value);
        history.replaceState(null, '', `/explain?${query}`);
        fill(result, h('p', { className: 'muted' }, 'explaining…'));
        try {
          drawExplain(result, await api(`/api/explain?${query}`));
        } catch (error) {
          fill(result, h('p', { className: 'error' }, error.message));
        }
      },
    },
    h('label', { for: 'explain-user' }, 'User'),
    userInput,
    h('label', { for: 'explain-force' }, 'Variation'),
    force,
    h('button', { className: 'primary', type: 'submit' }, 'Explain'),
  );
  render(
    h('h1', {}, 'Explain'),
    h(
      'p',
      { className: 'muted' },
      'Every carousel of this user’s home feed, each candidate with the backend that served it, its features, per-feature score contributions, the filters that removed it, and timings. No exposure is logged.',
    ),
    form,
    result,
  );
  if (userInput.value) form.requestSubmit();
}

function drawExplain(box, explain) {
  const assignments = explain.experiments?.assignments ?? [];
  fill(
    box,
    h(
      'div',
      { className: 'cards' },
      card('User', explain.userId, 'explain-user-id'),
      card('New user', explain.user.newUser ? 'yes' : 'no'),
      card('Follows', String(explain.user.followedSellers.length)),
      card('Config', explain.experiments?.configSource ?? '–'),
      card('Total', ms(explain.totalMs)),
    ),
    assignments.length
      ? h(
          'p',
          {},
          'Experiments: ',
          assignments.map((a) =>
            badge(`${a.experiment} → ${a.variation}${a.inExperiment === false ? ' (not in)' : ''}`, 'ok'),
          ),
        )
      : null,
    explain.carousels.map((c) =>
      h(
        'section',
        { className: 'carousel', 'data-carousel': c.id },
        h(
          'h2',
          {},
          c.title || c.id,
          badge(c.status, c.status === 'ok' ? 'ok' : c.status === 'failed' ? 'bad' : 'warn'),
          c.shown ? badge('shown', 'ok') : badge('not shown'),
          h(
            'span',
            { className: 'muted' },
            `retrieval: ${c.servedBy.retrieval ?? '–'} (${c.servedBy.retrievalReason ?? '–'}) · ranking: ${c.servedBy.ranking ?? '–'}${c.model ? ` ${c.model.id ?? ''}@${c.model.version ?? ''}` : ''}`,
          ),
        ),
        h(
          'p',
          { className: 'muted' },
          `retrieval ${ms(c.timings.retrievalMs)} · ranking ${ms(c.timings.rankingMs)} · total ${ms(c.timings.totalMs)}`,
          Object.keys(c.filtered).length
            ? ` · filtered: ${Object.entries(c.filtered)
                .map(([f, n]) => `${f} ${n}`)
                .join(', ')}`
            : '',
          c.detail ? ` · ${c.detail}` : '',
          c.rankingFallback ? ` · ranking fell back: ${c.rankingFallback}` : '',
        ),
        candidatesPanel(c.candidates ?? [], (x) =>
          h(
            'tr',
            { className: x.removedBy ? 'removed' : '' },
            h('td', { className: 'num' }, x.rank ?? '–'),
            h(
              'td',
              {},
              x.title ? h('div', {}, x.title) : null,
              h('div', { className: 'muted contrib' }, x.livestreamId),
            ),
            h('td', {}, x.sellerId ?? '–'),
            h('td', { className: 'num' }, fmt(x.retrievalScore, 3)),
            h('td', { className: 'num' }, x.score === null || x.score === undefined ? '–' : fmt(x.score, 3)),
            h('td', { className: 'contrib' }, contributions(x.contributions)),
            h(
              'td',
              { className: 'contrib' },
              Object.entries(x.features ?? {})
                .map(([k, v]) => `${k} ${fmt(v, 2)}`)
                .join(' · '),
            ),
            h(
              'td',
              {},
              x.removedBy
                ? badge(`removed: ${x.removedBy}`, 'warn')
                : x.shown
                  ? badge('shown', 'ok')
                  : badge('below the page'),
              x.demoted ? badge('demoted', 'warn') : null,
            ),
          ),
        ),
      ),
    ),
  );
}

const CANDIDATES_SHOWN = 12;

/** The first candidates (the ranked head, where the shown ones are); the rest one click away. */
function candidatesPanel(candidates, row) {
  const headers = [
    '#',
    'livestream',
    'seller',
    'retrieval score',
    'score',
    'contributions',
    'features',
    'outcome',
  ];
  const head = candidates.slice(0, CANDIDATES_SHOWN);
  const rest = candidates.slice(CANDIDATES_SHOWN);
  return h(
    'div',
    { className: 'panel' },
    table(headers, head.map(row)),
    rest.length
      ? h('details', {}, h('summary', {}, `${rest.length} more candidates`), table(headers, rest.map(row)))
      : null,
  );
}

function contributions(map) {
  const entries = Object.entries(map ?? {}).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  if (!entries.length) return '–';
  const nonZero = entries.filter(([, value]) => value !== 0);
  const zero = entries.length - nonZero.length;
  return [
    nonZero.map(([name, value]) =>
      h('div', { className: value < 0 ? 'neg' : '' }, `${value >= 0 ? '+' : ''}${fmt(value, 3)} ${name}`),
    ),
    zero ? h('div', { className: 'muted' }, `${zero} more at 0`) : null,
  ];
}

// ---- Dead letters ---------------------------------------------------------------------------------

async function deadLettersPage() {
  clearTimeout(timer);
  const params = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  for (const name of ['topic', 'code', 'reason']) if (params.get(name)) query.set(name, params.get(name));
  const view = await api(`/api/dead-letters?${query}`);
  const operator = me.role === 'operator';
  const topic = h(
    'select',
    { id: 'dlq-topic', name: 'topic' },
    h('option', { value: '' }, 'all topics'),
    view.counts.map((t) =>
      h(
        'option',
        { value: t.sourceTopic, selected: params.get('topic') === t.sourceTopic },
        `${t.sourceTopic} (${t.total})`,
      ),
    ),
  );
  const codes = [...new Set(view.counts.flatMap((t) => Object.keys(t.byCode)))];
  const code = h(
    'select',
    { id: 'dlq-code', name: 'code' },
    h('option', { value: '' }, 'all codes'),
    codes.map((c) => h('option', { value: c, selected: params.get('code') === c }, c)),
  );
  const reason = h('input', {
    id: 'dlq-reason',
    name: 'reason',
    placeholder: 'reason contains',
    value: params.get('reason') ?? '',
  });
  const detail = h('div', { id: 'dlq-detail' });
  const replayReason = h('input', {
    id: 'replay-reason',
    size: 40,
    placeholder: 'the fix that makes a replay succeed',
  });
  const replay = async (body, label) => {
    if (!replayReason.value.trim()) {
      replayReason.focus();
      alert('Say what was fixed in the reason field: it goes to the audit log.');
      return;
    }
    if (!confirm(`Replay ${label}?`)) return;
    try {
      const outcome = await api('/api/dead-letters/replay', {
        method: 'POST',
        body: { ...body, reason: replayReason.value.trim() },
      });
      alert(
        `Replayed ${outcome.replayed}, already replayed ${outcome.alreadyReplayed}, failed ${outcome.failed}`,
      );
      await deadLettersPage();
    } catch (error) {
      alert(`Replay failed: ${error.message}`);
    }
  };
  const filter = {
    topic: params.get('topic') ?? undefined,
    code: params.get('code') ?? undefined,
    reason: params.get('reason') ?? undefined,
  };
  render(
    h('h1', {}, 'Dead letters'),
    h(
      'form',
      { className: 'row', method: 'get', action: '/dead-letters' },
      topic,
      code,
      reason,
      h('button', { type: 'submit' }, 'Filter'),
    ),
    operator
      ? h(
          'div',
          { className: 'row' },
          h('label', { for: 'replay-reason' }, 'Replay reason'),
          replayReason,
          h(
            'button',
            {
              className: 'danger',
              'data-testid': 'replay-all',
              onclick: () =>
                replay(
                  { all: filter },
                  `every dead letter matching this filter (${view.letters.length} shown)`,
                ),
            },
            'Replay all matching',
          ),
        )
      : null,
    h(
      'div',
      { className: 'panel' },
      table(
        ['failed at', 'topic', 'code', 'reason', 'payload', 'replayed'],
        view.letters.map((letter) =>
          h(
            'tr',
            {
              className: 'clickable',
              'data-id': letter.id,
              onclick: () =>
                showLetter(
                  detail,
                  letter.id,
                  operator ? (id) => replay({ ids: [id] }, 'this dead letter') : null,
                ),
            },
            h('td', {}, letter.failedAt),
            h('td', {}, letter.sourceTopic),
            h('td', {}, badge(letter.code, 'warn')),
            h('td', {}, letter.reason),
            h('td', { className: 'contrib' }, letter.preview),
            h('td', {}, letter.replayed ? badge(`by ${letter.replayed.actor}`, 'ok') : '–'),
          ),
        ),
        { 'data-testid': 'dlq-list' },
      ),
    ),
    detail,
  );
}

async function showLetter(box, id, replay) {
  const letter = await api(`/api/dead-letters/${encodeURIComponent(id)}`);
  fill(
    box,
    h('h2', {}, `Dead letter ${letter.id}`),
    h(
      'p',
      {},
      `From ${letter.sourceTopic} partition ${letter.sourcePartition ?? '?'} offset ${letter.sourceOffset ?? '?'}, key ${letter.key ?? '(none)'}, ${letter.bytes} bytes. `,
      h('strong', {}, letter.reason),
    ),
    letter.replayed
      ? notice(
          `Replayed ${letter.replayed.at} by ${letter.replayed.actor} (audit #${letter.replayed.auditId})`,
        )
      : null,
    replay && !letter.replayed
      ? h(
          'button',
          { className: 'danger', 'data-testid': 'replay-one', onclick: () => replay(letter.id) },
          'Replay this one',
        )
      : null,
    h('h2', {}, `Payload (${letter.payload.encoding})`),
    h('pre', { 'data-testid': 'dlq-payload' }, letter.payload.text),
    h('h2', {}, 'Headers'),
    h('pre', {}, JSON.stringify(letter.headers, null, 2)),
  );
}

// ---- Shell ----------------------------------------------------------------------------------------

const PAGES = {
  '/pipeline': pipelinePage,
  '/backends': backendsPage,
  '/experiments': experimentsPage,
  '/explain': explainPage,
  '/dead-letters': deadLettersPage,
};

async function start() {
  if (document.body.classList.contains('login')) return loginPage();
  me = await api('/api/me');
  document.getElementById('whoami').textContent = `${me.role} · ${me.actor}`;
  document.getElementById('logout').addEventListener('click', async () => {
    await api('/api/logout', { method: 'POST' }).catch(() => undefined);
    location.href = '/login';
  });
  const path = location.pathname === '/' ? '/pipeline' : location.pathname;
  for (const link of document.querySelectorAll('#nav a'))
    link.classList.toggle('active', link.getAttribute('href') === path);
  const page = PAGES[path];
  document.title = `${document.querySelector(`#nav a[href="${path}"]`)?.textContent ?? 'Crest'} · Crest admin`;
  try {
    await (page ?? pipelinePage)();
  } catch (error) {
    render(h('h1', {}, document.title), h('p', { className: 'error' }, error.message));
  }
}

function loginPage() {
  const form = document.getElementById('login-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = document.getElementById('login-error');
    error.textContent = '';
    const response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: document.getElementById('token').value }),
    });
    if (!response.ok) {
      error.textContent = (await response.json().catch(() => ({}))).message ?? 'sign-in failed';
      return;
    }
    const next = new URLSearchParams(location.search).get('next');
    location.href = next && /^\/[a-z-]*$/.test(next) ? next : '/pipeline';
  });
}

document.addEventListener('DOMContentLoaded', () => void start());
