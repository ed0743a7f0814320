/**
 * Light or dark: follows the system unless the user picks one; the choice is kept in this
 * browser's storage. Applied as `data-theme` on the root element, which styles.css reads.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'postcard-lab.theme';

export class ThemeState {
  choice = $state<ThemeChoice>('system');
  #media: MediaQueryList | undefined;
  systemDark = $state(false);

  effective = $derived(this.choice === 'system' ? (this.systemDark ? 'dark' : 'light') : this.choice);

  constructor() {
    if (typeof window === 'undefined') return;
    const saved = window.localStorage?.getItem(KEY);
    if (saved === 'light' || saved === 'dark' || saved === 'system') this.choice = saved;
    this.#media = window.matchMedia?.('(prefers-color-scheme: dark)');
    this.systemDark = this.#media?.matches ?? false;
    this.#media?.addEventListener('change', (e) => {
      this.systemDark = e.matches;
      this.apply();
    });
    this.apply();
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    window.localStorage?.setItem(KEY, choice);
    this.apply();
  }

  apply(): void {
    document.documentElement.dataset.theme = this.effective;
  }
}
