/** Picks the track after `previous`: in library order, or shuffled (each track once per cycle). */
export interface OrderedTrack {
  id: string;
}

export interface PlaylistOrderOptions {
  shuffle: boolean;
  loop: boolean;
  random?: () => number;
}

/** Where an order stood (see PlaylistOrder.mark). */
export interface OrderMark {
  previousId: string | null;
  previousIndex: number;
  bag: string[];
  cycles: number;
}

export class PlaylistOrder {
  private previousId: string | null = null;
  private previousIndex = -1;
  /** Shuffle: ids still to play in this cycle. */
  private bag: string[] = [];
  private cycles = 0;

  constructor(private readonly options: PlaylistOrderOptions) {}

  /** The next track of `tracks` (the library as just re-read), or null when the playlist is done or empty. */
  next<T extends OrderedTrack>(tracks: readonly T[]): T | null {
    if (tracks.length === 0) return null;
    const picked = this.options.shuffle ? this.nextShuffled(tracks) : this.nextInOrder(tracks);
    if (picked) {
      this.previousId = picked.id;
      this.previousIndex = tracks.indexOf(picked);
    }
    return picked;
  }

  /** Where the order stands now: rewind() to it when a picked track is dropped before it played, so it is picked again. */
  mark(): OrderMark {
    return { previousId: this.previousId, previousIndex: this.previousIndex, bag: [...this.bag], cycles: this.cycles };
  }

  rewind(mark: OrderMark): void {
    this.previousId = mark.previousId;
    this.previousIndex = mark.previousIndex;
    this.bag = [...mark.bag];
    this.cycles = mark.cycles;
  }

  private nextInOrder<T extends OrderedTrack>(tracks: readonly T[]): T | null {
    let index: number;
    if (this.previousId === null) index = 0;
    else {
      const found = tracks.findIndex((t) => t.id === this.previousId);
      // The previous track was deleted: the one that took its place plays next.
      index = found >= 0 ? found + 1 : Math.max(0, this.previousIndex);
    }
    if (index >= tracks.length) {
      if (!this.options.loop) return null;
      index = 0;
    }
    return tracks[index];
  }

  private nextShuffled<T extends OrderedTrack>(tracks: readonly T[]): T | null {
    const ids = new Set(tracks.map((t) => t.id));
    this.bag = this.bag.filter((id) => ids.has(id));
    if (this.bag.length === 0) {
      if (this.cycles > 0 && !this.options.loop) return null;
      this.cycles += 1;
      this.bag = this.shuffled([...ids]);
      // Do not play the same track twice in a row across cycles.
      if (this.bag.length > 1 && this.bag[0] === this.previousId) this.bag.push(this.bag.shift()!);
    }
    const id = this.bag.shift()!;
    return tracks.find((t) => t.id === id) ?? null;
  }

  private shuffled(ids: string[]): string[] {
    const random = this.options.random ?? Math.random;
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    return ids;
  }
}
