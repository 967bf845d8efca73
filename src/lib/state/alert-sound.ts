import type { AlertSeverity } from '$lib/alerts/types';

/**
 * The alert tone, synthesised with WebAudio (no audio file is fetched): one short beep for
 * info and warning, three rising ones for critical. Browsers only let a page start audio
 * after a user gesture, so `unlockAlertSound` is called from the click that turns sound on.
 */
export const AlertToneDefaults = { frequencyHz: 880, beepMs: 140, gapMs: 90, volume: 0.15 };

let context: AudioContext | null = null;

/** Creates (or resumes) the audio context; call it from a click. False when unsupported. */
export async function unlockAlertSound(): Promise<boolean> {
  const Ctor = globalThis.AudioContext;
  if (!Ctor) return false;
  context ??= new Ctor();
  if (context.state === 'suspended') await context.resume().catch(() => {});
  return context.state === 'running';
}

/**
 * Plays the tone for a severity; silently does nothing when audio is unavailable or the
 * browser still refuses it (a tab the user never interacted with).
 */
export async function playAlertTone(severity: AlertSeverity): Promise<void> {
  // The leader may be another tab than the one where sound was turned on: unlock here too,
  // which succeeds once the user has interacted with this tab.
  if (!(await unlockAlertSound()) || !context) return;
  const { frequencyHz, beepMs, gapMs, volume } = AlertToneDefaults;
  const beeps = severity === 'critical' ? 3 : 1;
  let at = context.currentTime;
  for (let i = 0; i < beeps; i++) {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = 'sine';
    osc.frequency.value = frequencyHz * (1 + i * 0.25);
    // A short attack and release: a hard-edged square of sound clicks.
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(volume, at + 0.01);
    gain.gain.linearRampToValueAtTime(0, at + beepMs / 1000);
    osc.connect(gain).connect(context.destination);
    osc.start(at);
    osc.stop(at + beepMs / 1000 + 0.02);
    at += (beepMs + gapMs) / 1000;
  }
}
