// The daemon's event bus: state changes the children report over IPC ({type:'event'}) and the
// supervisor's own (reload), handed to whoever listens (the API's event stream). Each event
// gets its `time` here if the sender did not stamp it.
import { EventEmitter } from 'node:events';

export interface DaemonEvent {
  kind: string;
  /** ISO 8601. */
  time: string;
  [field: string]: unknown;
}

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open event stream is a listener; the API bounds how many there are.
    this.emitter.setMaxListeners(0);
  }

  /** Publishes a child's event; anything without a string `kind` is dropped. */
  publish(raw: Record<string, unknown>): DaemonEvent | null {
    if (typeof raw.kind !== 'string' || raw.kind === '') return null;
    const event: DaemonEvent = {
      ...raw,
      kind: raw.kind,
      time: typeof raw.time === 'string' ? raw.time : new Date().toISOString(),
    };
    this.emitter.emit('event', event);
    return event;
  }

  subscribe(listener: (e: DaemonEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
