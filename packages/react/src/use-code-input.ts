import {
  type ChangeEvent,
  type ClipboardEvent,
  type InputHTMLAttributes,
  type KeyboardEvent,
  type RefCallback,
  useCallback,
  useRef,
  useState,
} from "react";

export interface UseCodeInputOptions {
  /** Digits in a code (otp-core's `codeLength`). Default: 6. */
  length?: number;
  /** Called each time an edit completes the code: the auto-submit. */
  onComplete?: (code: string) => void;
  /** Called with the digits typed so far (empty boxes skipped) after every edit. */
  onChange?: (code: string) => void;
}

export type CodeInputElementProps = InputHTMLAttributes<HTMLInputElement> & {
  ref: RefCallback<HTMLInputElement>;
};

export interface CodeInputState {
  /** One entry per box; `""` for an empty box. */
  digits: string[];
  /** The digits entered, in order. */
  value: string;
  complete: boolean;
  /** Focuses (and selects) a box. Default: the first empty one. */
  focus(index?: number): void;
  /** Empties every box and focuses the first. */
  clear(): void;
  /** Props for box `index` of a one-box-per-digit input. */
  getInputProps(index: number): CodeInputElementProps;
  /** Props for a single input holding the whole code. */
  getSingleInputProps(): CodeInputElementProps;
}

/**
 * Pulls a code out of pasted or autofilled text: a run of exactly `length` digits wins (so
 * "Your code is 123456. Valid for 5 minutes." yields 123456), else every digit in order ("123 456").
 */
export function extractDigits(text: string, length: number): string {
  const run = text.match(new RegExp(`(?<!\\d)\\d{${length}}(?!\\d)`));
  return (run ? run[0] : text.replace(/\D/g, "")).slice(0, length);
}

/**
 * Headless state for a one-time-code input: auto-advance, backspace to the previous box, arrow
 * keys, paste or autofill of a whole code into any box, and `onComplete` once every box is filled.
 * Spread `getInputProps(i)` on your own `<input>`s (or `getSingleInputProps()` on one).
 */
export function useCodeInput({ length = 6, onComplete, onChange }: UseCodeInputOptions = {}): CodeInputState {
  const [digits, setDigits] = useState<string[]>(() => Array(length).fill(""));
  // Handlers read the ref, not the render's closure, so two events before a re-render still compose.
  const current = useRef(digits);
  const inputs = useRef<Array<HTMLInputElement | null>>([]);
  const callbacks = useRef({ onComplete, onChange });
  callbacks.current = { onComplete, onChange };

  const focus = useCallback(
    (index?: number) => {
      const target = index ?? Math.max(0, current.current.indexOf(""));
      const input = inputs.current[Math.min(Math.max(target, 0), length - 1)] ?? inputs.current[0];
      input?.focus();
      input?.select();
    },
    [length],
  );

  const update = (next: string[], focusIndex?: number) => {
    current.current = next;
    setDigits(next);
    if (focusIndex !== undefined) focus(focusIndex);
    const value = next.join("");
    callbacks.current.onChange?.(value);
    if (next.every(Boolean)) callbacks.current.onComplete?.(value);
  };

  /** Writes `text`'s digits from box `start` on; a whole code always starts at the first box. */
  const fill = (start: number, text: string) => {
    const chars = extractDigits(text, length);
    if (!chars) return;
    const next = [...current.current];
    let index = chars.length === length ? 0 : start;
    for (const char of chars) if (index < length) next[index++] = char;
    update(next, Math.min(index, length - 1));
  };

  const onBoxChange = (index: number, event: ChangeEvent<HTMLInputElement>) => {
    const typed = event.target.value;
    const raw = typed.replace(/\D/g, "");
    const previous = current.current[index]!;
    const next = [...current.current];
    if (raw === previous) return; // a letter, or nothing new: React restores the box's value
    if (raw.length === 0) {
      next[index] = "";
      update(next);
    } else if (raw.length === 1) {
      next[index] = raw;
      update(next, index + 1);
    } else if (raw.length === 2 && previous) {
      // Typed beside the digit already there, instead of over it: keep the new one.
      next[index] = raw[0] === previous ? raw[1]! : raw[0]!;
      update(next, index + 1);
    } else {
      fill(index, typed); // autofill (iOS, Android) or a paste that bypassed onPaste
    }
  };

  const onKeyDown = (index: number, event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Backspace" && !current.current[index] && index > 0) {
      event.preventDefault();
      const next = [...current.current];
      next[index - 1] = "";
      update(next, index - 1);
    } else if (event.key === "ArrowLeft" && index > 0) {
      event.preventDefault();
      focus(index - 1);
    } else if (event.key === "ArrowRight" && index < length - 1) {
      event.preventDefault();
      focus(index + 1);
    }
  };

  const onPaste = (index: number, event: ClipboardEvent<HTMLInputElement>) => {
    event.preventDefault();
    fill(index, event.clipboardData.getData("text"));
  };

  const shared = {
    type: "text",
    inputMode: "numeric",
    pattern: "[0-9]*",
    autoCorrect: "off",
    spellCheck: false,
  } as const;

  return {
    digits,
    value: digits.join(""),
    complete: digits.every(Boolean),
    focus,
    clear: () => update(Array(length).fill(""), 0),
    getInputProps: (index) => ({
      ...shared,
      ref: (element) => {
        inputs.current[index] = element;
      },
      value: digits[index] ?? "",
      // Only the first box takes autofill; it receives the whole code and spreads it (onBoxChange).
      autoComplete: index === 0 ? "one-time-code" : "off",
      onChange: (event) => onBoxChange(index, event),
      onKeyDown: (event) => onKeyDown(index, event),
      onPaste: (event) => onPaste(index, event),
      onFocus: (event) => event.target.select(),
    }),
    getSingleInputProps: () => ({
      ...shared,
      ref: (element) => {
        inputs.current[0] = element;
      },
      value: digits.join(""),
      autoComplete: "one-time-code",
      maxLength: length,
      onChange: (event) => {
        const chars = extractDigits(event.target.value, length);
        update(Array.from({ length }, (_, index) => chars[index] ?? ""));
      },
      onPaste: (event) => {
        event.preventDefault();
        const chars = extractDigits(event.clipboardData.getData("text"), length);
        update(Array.from({ length }, (_, index) => chars[index] ?? ""));
      },
    }),
  };
}
