import { getContext, setContext, untrack } from 'svelte';
import type { AlertSeverity } from '$lib/alerts/types';
import type { AlertHistoryEntry } from '$lib/db/alert-store';
import type { ChangeNotice } from '$lib/types';
import { CHANGES_CHANNEL } from '$lib/workers/channels';
import type { AlertOverview, AlertRuleView, RuleCheck } from '$lib/workers/engine/alerts';
import type { AppState } from './app.svelte';
import { playAlertTone, unlockAlertSound } from './alert-sound';

/** Snooze and silence choices offered in the UI. */
export const SnoozeChoices = [
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 }
] as const;

export const AlertsUiDefaults = {
  /** How often the open Alerts page re-reads values and "since" times. */
  refreshMs: 5_000,
  /** Toasts kept on screen at most (the oldest go first). */
  maxToasts: 4,
  /** History rows the page shows. */
  historyLimit: 200
};

/** Examples the editor offers, one per rule kind (names of the demo day's series). */
export const RuleExamples = [
  {
    label: 'Threshold',
    text: 'alert "CPU busy"\n  when avg(cpu_usage_percent{cpu="total"}) over 5m > 90\n  for 2m\n  clear < 80\n  severity critical'
  },
  {
    label: 'Rate',
    text: 'alert "Network receive"\n  when rate(node_network_receive_bytes_total{device="eth0"}) over 1m > 1e6\n  for 1m'
  },
  {
    label: 'Percentile',
    text: 'alert "Slow first token"\n  when p95(model_time_to_first_token_ms) over 5m > 300\n  for 5m'
  },
  {
    label: 'Anomaly',
    text: 'alert "Unusual first-token time"\n  when anomaly(model_time_to_first_token_ms) >= 0.8\n  severity info'
  },
  {
    label: 'Absence',
    text: 'alert "Agent silent"\n  when absent(agent_cpu_percent)\n  for 2m\n  severity critical'
  }
] as const;

export interface AlertToast {
  key: string;
  kind: 'firing' | 'resolved';
  ruleId: string;
  seriesKeys: string[];
  title: string;
  body: string;
  severity: AlertSeverity;
}

type Permission = NotificationPermission | 'unsupported';

const SeverityLabels: Record<AlertSeverity, string> = {
  info: 'Info',
  warning: 'Warning',
  critical: 'Critical'
};

/**
 * Alerts as every page sees them: the overview for the status bar, toasts for new firing
 * alerts, and for the Alerts page the rules, history and controls. Notices from any tab's
 * engine arrive over the changes channel; new firing transitions are read from the history
 * after a cursor, so each is toasted once per tab, and only the leader tab plays the sound
 * and shows the system notification (once for all tabs).
 *
 * Create it during the layout's initialisation: its effects live as long as the layout.
 */
export class AlertsState {
  overview = $state.raw<AlertOverview | null>(null);
  rules = $state.raw<AlertRuleView[] | null>(null);
  history = $state.raw<AlertHistoryEntry[]>([]);
  toasts = $state.raw<AlertToast[]>([]);
  error = $state<string | null>(null);
  permission = $state<Permission>('unsupported');
  #app: AppState;
  #cursor: string | null = null;
  #started = false;
  #watchers = 0;
  /** Announcements run one after another, so two quick notices never read the same cursor. */
  #announcing: Promise<void> = Promise.resolve();

  constructor(app: AppState) {
    this.#app = app;
    $effect(() => {
      const channel = new BroadcastChannel(CHANGES_CHANNEL);
      channel.onmessage = (ev: MessageEvent<ChangeNotice>) => this.#noticed(ev.data);
      this.permission = readPermission();
      return () => channel.close();
    });
    $effect(() => {
      if (this.#app.lifecycle?.kind === 'open') untrack(() => void this.#start());
    });
  }

  /** Firing alerts that still want attention (not acknowledged, rule not snoozed). */
  get attention(): number {
    return this.overview?.unacknowledged ?? 0;
  }

  async #start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      // Transitions before this tab opened are history, not news.
      const newest = await this.#app.engine.listAlertHistory({ limit: 1 });
      this.#cursor = newest[0]?.key ?? null;
      await this.refreshOverview();
    } catch (e) {
      this.#started = false;
      this.error = (e as Error).message;
    }
  }

  #noticed(notice: ChangeNotice): void {
    if (notice.kind !== 'alerts' && notice.kind !== 'cleared') return;
    if (notice.kind === 'cleared') this.#cursor = null;
    void this.refreshOverview();
    if (this.#watchers > 0) void this.refreshPage();
    if (notice.kind === 'alerts' && notice.transitions > 0) {
      this.#announcing = this.#announcing.then(() => this.#announce()).catch(() => {});
    }
  }

  async refreshOverview(): Promise<void> {
    try {
      this.overview = await this.#app.engine.alertOverview();
    } catch {
      // The database may be closed for an upgrade; the layout says so.
    }
  }

  /** Rules, states and history for the Alerts page. */
  async refreshPage(): Promise<void> {
    try {
      const engine = this.#app.engine;
      const [rules, history] = await Promise.all([
        engine.listAlertRules(),
        engine.listAlertHistory({ limit: AlertsUiDefaults.historyLimit })
      ]);
      this.rules = rules;
      this.history = history;
      this.error = null;
      await this.refreshOverview();
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** The Alerts page calls this while open: values and "since" times stay current. */
  watch(): () => void {
    this.#watchers++;
    void this.refreshPage();
    const timer = setInterval(() => void this.refreshPage(), AlertsUiDefaults.refreshMs);
    return () => {
      this.#watchers--;
      clearInterval(timer);
    };
  }

  /**
   * New transitions since the cursor: a toast per rule for those that fired (and a quieter
   * one for those that resolved) in every tab; the sound and the system notification only
   * on the leader, for firing ones.
   */
  async #announce(): Promise<void> {
    const engine = this.#app.engine;
    const fresh = await engine.listAlertHistory({
      limit: 50,
      ...(this.#cursor !== null ? { after: this.#cursor } : {})
    });
    if (fresh.length === 0) return;
    this.#cursor = fresh[0].key;
    // Fresh, not cached: a snooze or silence may have been set in another tab a moment ago.
    const [overview, rules] = await Promise.all([engine.alertOverview(), engine.listAlertRules()]);
    const now = Date.now();
    if (overview.silencedUntil !== null && overview.silencedUntil > now) return;
    const snoozed = (id: string) => (rules.find((r) => r.id === id)?.snoozedUntil ?? 0) > now;
    const news = fresh
      .filter((e) => (e.kind === 'firing' || e.kind === 'resolved') && !snoozed(e.ruleId))
      .reverse();
    if (news.length === 0) return;
    const toasts = groupToasts(news);
    // A resolved series no longer needs its firing toast.
    const resolved = news.filter((e) => e.kind === 'resolved');
    const kept = this.toasts
      .map((t) =>
        t.kind === 'firing'
          ? {
              ...t,
              seriesKeys: t.seriesKeys.filter(
                (k) => !resolved.some((r) => r.ruleId === t.ruleId && r.seriesKey === k)
              )
            }
          : t
      )
      .filter((t) => t.seriesKeys.length > 0);
    this.toasts = [...kept, ...toasts].slice(-AlertsUiDefaults.maxToasts);
    const firing = toasts.filter((t) => t.kind === 'firing');
    if (!this.#app.leader || firing.length === 0) return;
    if (overview.prefs.sound) {
      void playAlertTone(firing.some((t) => t.severity === 'critical') ? 'critical' : 'warning');
    }
    if (overview.prefs.system && readPermission() === 'granted') {
      for (const t of firing) {
        // The tag makes the browser replace rather than stack a repeat of the same alert.
        new Notification(t.title, { body: t.body, tag: t.key });
      }
    }
  }

  dismiss(key: string): void {
    this.toasts = this.toasts.filter((t) => t.key !== key);
  }

  async acknowledge(ruleId: string, seriesKeys: readonly string[]): Promise<void> {
    for (const key of seriesKeys) await this.#app.engine.acknowledgeAlert(ruleId, key);
    this.toasts = this.toasts.filter(
      (t) => !(t.ruleId === ruleId && t.seriesKeys.every((k) => seriesKeys.includes(k)))
    );
    await this.refreshPage();
  }

  validate(text: string): Promise<RuleCheck> {
    return this.#app.engine.validateAlertRule(text);
  }

  /**
   * Saves a rule and evaluates it at once in this tab's engine (the store makes the result
   * the same as the leader's next pass), so the page shows its state without waiting.
   */
  async save(text: string, id?: string) {
    const engine = this.#app.engine;
    const r = await engine.saveAlertRule(id === undefined ? { text } : { id, text });
    if (r.ok) {
      await engine.runAlertPass();
      await this.refreshPage();
    }
    return r;
  }

  async setEnabled(id: string, enabled: boolean): Promise<void> {
    await this.#app.engine.setAlertRuleEnabled(id, enabled);
    if (enabled) await this.#app.engine.runAlertPass();
    await this.refreshPage();
  }

  async remove(id: string): Promise<void> {
    await this.#app.engine.deleteAlertRule(id);
    await this.refreshPage();
  }

  /** Snoozes a rule for `ms` from now (null: wake it). */
  async snooze(id: string, ms: number | null): Promise<void> {
    await this.#app.engine.snoozeAlertRule(id, ms === null ? null : Date.now() + ms);
    await this.refreshPage();
  }

  /** Silences every notification for `ms` from now (null: end the silence). */
  async silence(ms: number | null): Promise<void> {
    await this.#app.engine.silenceAlerts(ms === null ? null : Date.now() + ms);
    await this.refreshPage();
  }

  /** Turns the tone on or off; called from a click, which lets the page start audio. */
  async setSound(on: boolean): Promise<void> {
    if (on) await unlockAlertSound();
    await this.#app.engine.setAlertPrefs({ sound: on });
    await this.refreshOverview();
    if (on) void playAlertTone('info');
  }

  /**
   * Turns system notifications on (asking the browser for permission — only from a click)
   * or off. Returns the permission state for the page to explain a refusal.
   */
  async setSystem(on: boolean): Promise<Permission> {
    if (on && typeof Notification !== 'undefined' && Notification.permission === 'default') {
      await Notification.requestPermission();
    }
    this.permission = readPermission();
    await this.#app.engine.setAlertPrefs({ system: on && this.permission === 'granted' });
    await this.refreshOverview();
    return this.permission;
  }
}

/** One toast per rule and kind: a selector matching many series fires them together. */
function groupToasts(entries: readonly AlertHistoryEntry[]): AlertToast[] {
  const toasts: AlertToast[] = [];
  for (const e of entries) {
    const kind = e.kind as AlertToast['kind'];
    const verb = kind === 'firing' ? 'firing' : 'back to normal';
    const same = toasts.find((t) => t.ruleId === e.ruleId && t.kind === kind);
    if (same) {
      same.seriesKeys.push(e.seriesKey);
      same.body = `${same.seriesKeys.length} series are ${verb}: ${same.seriesKeys.join(', ')}.`;
      continue;
    }
    toasts.push({
      key: e.key,
      kind,
      ruleId: e.ruleId,
      seriesKeys: [e.seriesKey],
      title: `${kind === 'firing' ? SeverityLabels[e.severity] : 'Resolved'}: ${e.ruleName}`,
      body: `${e.seriesKey} is ${verb} (value ${formatShort(e.value)}).`,
      severity: kind === 'firing' ? e.severity : 'info'
    });
  }
  return toasts;
}

function readPermission(): Permission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

const short = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 4 });
function formatShort(v: number): string {
  return Number.isFinite(v) ? short.format(v) : 'no data';
}

const KEY = Symbol('tidemark-alerts');

export function setAlertsContext(alerts: AlertsState): AlertsState {
  return setContext(KEY, alerts);
}

export function getAlertsContext(): AlertsState {
  return getContext<AlertsState>(KEY);
}
