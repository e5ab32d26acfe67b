/**
 * What waits to be published. The engine hands messages over and returns at once; the queue is
 * drained only while the broker is connected. Retained topics (state, discovery) are coalesced —
 * the latest payload per topic wins — and events (trades, signals, alerts) are kept in order up to
 * a bound, past which the oldest are dropped and counted — signals (QoS 0) before trades and
 * alerts, which matter more. Memory stays bounded however long the broker is away.
 */

export interface OutgoingMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  /** Called once the broker acknowledged it (QoS 1) or it was written (QoS 0). */
  onSent?: () => void;
}

export class PublishQueue {
  /** Coalesced by topic; Map keeps first-insertion order, so state goes out before events. */
  private readonly latest = new Map<string, OutgoingMessage>();
  private readonly events: OutgoingMessage[] = [];
  private droppedCount = 0;

  constructor(readonly eventLimit: number) {
    if (!Number.isInteger(eventLimit) || eventLimit < 1)
      throw new RangeError(`eventLimit must be a positive integer, got ${eventLimit}`);
  }

  /** A retained message: replaces any queued message for the same topic. */
  putLatest(msg: OutgoingMessage): void {
    this.latest.set(msg.topic, msg);
  }

  /** An event: kept in order; when the bound is reached an older event is dropped (see trim). */
  putEvent(msg: OutgoingMessage): void {
    this.events.push(msg);
    this.trim();
  }

  /**
   * Puts back a message whose publish failed (the connection closed under it). An event goes to the
   * front so order is kept; a retained message only if nothing newer for its topic is waiting.
   */
  requeue(msg: OutgoingMessage, kind: 'latest' | 'event'): void {
    if (kind === 'latest') {
      if (!this.latest.has(msg.topic)) this.latest.set(msg.topic, msg);
      return;
    }
    this.events.unshift(msg);
    this.trim();
  }

  /** The next message to publish: coalesced retained ones first, then events in order. */
  shift(): { msg: OutgoingMessage; kind: 'latest' | 'event' } | undefined {
    const first = this.latest.entries().next();
    if (!first.done) {
      this.latest.delete(first.value[0]);
      return { msg: first.value[1], kind: 'latest' };
    }
    const ev = this.events.shift();
    return ev ? { msg: ev, kind: 'event' } : undefined;
  }

  get size(): number {
    return this.latest.size + this.events.length;
  }
  get eventCount(): number {
    return this.events.length;
  }
  /** Events dropped because the bound was reached, since construction. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Over the bound: drop the oldest QoS 0 event (a signal); when there is none, the oldest event. */
  private trim(): void {
    while (this.events.length > this.eventLimit) {
      const i = this.events.findIndex((m) => m.qos === 0);
      this.events.splice(i >= 0 ? i : 0, 1);
      this.droppedCount++;
    }
  }
}
