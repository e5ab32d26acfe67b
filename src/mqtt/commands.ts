/**
 * Command topics: `…/cmd/halt` (always honoured — it is a kill switch) and `…/cmd/resume` (only
 * when `mqtt.allowRemoteResume` is true). Input is untrusted: payloads are bounded, parsed
 * defensively, and every refusal says why. Retained command messages are ignored — a stale
 * retained "halt" or "resume" must not act again every time the box reconnects.
 */
import type { AlertCode } from '../core/alerts.js';
import type { ControlPort } from '../output.js';
import { commandOf, type Topics } from './topics.js';

/** Largest command payload read; larger ones are not parsed (a halt still halts). */
export const MAX_COMMAND_BYTES = 4096;
const MAX_REASON_CHARS = 200;
const DEFAULT_HALT_REASON = 'halted over MQTT';

export interface CommandAlert {
  level: 'info' | 'warn' | 'error';
  code: AlertCode;
  message: string;
}

export interface CommandOutcome {
  /** What happened, for the log. */
  action: 'halted' | 'resumed' | 'refused' | 'ignored';
  alert?: CommandAlert;
}

/** The reason a halt payload carries: `{"reason":"…"}`, or plain text; otherwise the default. */
export function haltReason(payload: Buffer): { reason: string; note?: string } {
  if (payload.length === 0) return { reason: DEFAULT_HALT_REASON };
  if (payload.length > MAX_COMMAND_BYTES)
    return {
      reason: DEFAULT_HALT_REASON,
      note: `payload of ${payload.length} bytes ignored (limit ${MAX_COMMAND_BYTES})`,
    };
  const text = payload.toString('utf8').trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      const r = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).reason : undefined;
      if (typeof r === 'string' && clean(r)) return { reason: clean(r) };
      return {
        reason: DEFAULT_HALT_REASON,
        note: r === undefined ? undefined : 'field "reason" is not a non-empty string',
      };
    } catch {
      return {
        reason: DEFAULT_HALT_REASON,
        note: 'payload looks like JSON but does not parse; expected {"reason":"…"}',
      };
    }
  }
  return clean(text) ? { reason: clean(text) } : { reason: DEFAULT_HALT_REASON };
}

function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, MAX_REASON_CHARS);
}

export class CommandHandler {
  constructor(
    private readonly topics: Topics,
    private readonly control: ControlPort,
    private readonly allowRemoteResume: boolean,
  ) {}

  /** Handles one received message on a command topic; never throws. */
  handle(topic: string, payload: Buffer, retained: boolean): CommandOutcome {
    const name = commandOf(this.topics, topic);
    if (name === null) return { action: 'ignored' };
    if (retained) {
      return {
        action: 'ignored',
        alert: {
          level: 'warn',
          code: 'MQTT',
          message:
            `ignored a retained message on ${topic}: commands must be sent without ` +
            `the retain flag (clear it with: mosquitto_pub -t '${topic}' -r -n)`,
        },
      };
    }
    if (name === 'halt') return this.halt(payload);
    if (name === 'resume') return this.resume(payload);
    return {
      action: 'ignored',
      alert: {
        level: 'warn',
        code: 'MQTT',
        message:
          `unknown command topic ${topic}: the commands are ${this.topics.command('halt')} ` +
          `and ${this.topics.command('resume')}`,
      },
    };
  }

  private halt(payload: Buffer): CommandOutcome {
    const { reason, note } = haltReason(payload);
    try {
      this.control.halt(reason, 'mqtt');
    } catch (err) {
      return {
        action: 'refused',
        alert: {
          level: 'error',
          code: 'MQTT',
          message: `halt over MQTT failed inside the engine: ${(err as Error).message}`,
        },
      };
    }
    return {
      action: 'halted',
      alert: note
        ? { level: 'warn', code: 'MQTT', message: `halted; ${this.topics.command('halt')} ${note}` }
        : undefined,
    };
  }

  private resume(payload: Buffer): CommandOutcome {
    if (!this.allowRemoteResume) {
      return {
        action: 'refused',
        alert: {
          level: 'warn',
          code: 'REMOTE_RESUME_REFUSED',
          message:
            'resume over MQTT refused: remote resume is disabled ' +
            '(mqtt.allowRemoteResume is false). Resume at the box (hold the button 3 ' +
            's) or run `niftybox resume`, or set mqtt.allowRemoteResume: true',
        },
      };
    }
    if (payload.length > MAX_COMMAND_BYTES) {
      return {
        action: 'refused',
        alert: {
          level: 'warn',
          code: 'MQTT',
          message:
            `resume over MQTT refused: payload of ${payload.length} bytes is over the ` +
            `${MAX_COMMAND_BYTES}-byte limit`,
        },
      };
    }
    try {
      this.control.resume('mqtt');
    } catch (err) {
      return {
        action: 'refused',
        alert: {
          level: 'error',
          code: 'MQTT',
          message: `resume over MQTT failed inside the engine: ${(err as Error).message}`,
        },
      };
    }
    return { action: 'resumed' };
  }
}
