import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { CodeInput } from "./code-input.js";
import { extractDigits } from "./use-code-input.js";

const boxes = () => screen.getAllByRole("textbox") as HTMLInputElement[];
const values = () =>
  boxes()
    .map((box) => box.value)
    .join("");
const type = (box: HTMLInputElement, text: string) =>
  fireEvent.change(box, { target: { value: box.value + text } });

describe("CodeInput", () => {
  it("renders one labelled numeric box per digit; the first takes one-time-code autofill", () => {
    render(<CodeInput length={6} />);
    expect(screen.getByRole("group", { name: "Enter the 6-digit code" })).toBeTruthy();
    expect(boxes()).toHaveLength(6);
    expect(screen.getByLabelText("Digit 1 of 6").getAttribute("autocomplete")).toBe("one-time-code");
    expect(screen.getByLabelText("Digit 2 of 6").getAttribute("autocomplete")).toBe("off");
    for (const box of boxes()) expect(box.getAttribute("inputmode")).toBe("numeric");
    expect(document.activeElement).toBe(boxes()[0]);
  });

  it("advances as digits are typed and submits once complete", () => {
    const onComplete = vi.fn();
    render(<CodeInput length={4} onComplete={onComplete} />);
    for (const [index, digit] of ["1", "2", "3"].entries()) {
      type(boxes()[index]!, digit);
      expect(document.activeElement).toBe(boxes()[index + 1]);
    }
    expect(onComplete).not.toHaveBeenCalled();
    type(boxes()[3]!, "4");
    expect(onComplete).toHaveBeenCalledExactlyOnceWith("1234");
  });

  it("ignores letters and keeps the box on the digit typed over an existing one", () => {
    render(<CodeInput length={4} />);
    type(boxes()[0]!, "a");
    expect(values()).toBe("");
    expect(document.activeElement).toBe(boxes()[0]);
    type(boxes()[0]!, "5");
    fireEvent.change(boxes()[0]!, { target: { value: "57" } });
    expect(boxes()[0]!.value).toBe("7");
  });

  it("takes a pasted code in any box, even inside a sentence, and submits it", () => {
    const onComplete = vi.fn();
    render(<CodeInput onComplete={onComplete} />);
    fireEvent.paste(boxes()[3]!, {
      clipboardData: { getData: () => "Your login code is 482913. Valid for 5 minutes." },
    });
    expect(values()).toBe("482913");
    expect(onComplete).toHaveBeenCalledExactlyOnceWith("482913");
    expect(document.activeElement).toBe(boxes()[5]);
  });

  it("spreads an autofilled code that lands in the first box", () => {
    const onComplete = vi.fn();
    render(<CodeInput onComplete={onComplete} />);
    fireEvent.change(boxes()[0]!, { target: { value: "123456" } });
    expect(values()).toBe("123456");
    expect(onComplete).toHaveBeenCalledWith("123456");
  });

  it("a partial paste fills from the box it lands in", () => {
    render(<CodeInput length={6} />);
    fireEvent.paste(boxes()[2]!, { clipboardData: { getData: () => "12" } });
    expect(boxes().map((box) => box.value)).toEqual(["", "", "1", "2", "", ""]);
    expect(document.activeElement).toBe(boxes()[4]);
  });

  it("backspace in an empty box clears and focuses the previous one; arrows move", () => {
    render(<CodeInput length={4} />);
    type(boxes()[0]!, "1");
    type(boxes()[1]!, "2");
    expect(document.activeElement).toBe(boxes()[2]);
    fireEvent.keyDown(boxes()[2]!, { key: "Backspace" });
    expect(document.activeElement).toBe(boxes()[1]);
    expect(values()).toBe("1");
    fireEvent.keyDown(boxes()[1]!, { key: "ArrowLeft" });
    expect(document.activeElement).toBe(boxes()[0]);
    fireEvent.keyDown(boxes()[0]!, { key: "ArrowRight" });
    expect(document.activeElement).toBe(boxes()[1]);
  });

  it("shows an error by its code and marks the boxes invalid", () => {
    render(<CodeInput error={{ code: "too_many_attempts" }} />);
    expect(screen.getByRole("alert").textContent).toMatch(/Too many wrong codes/);
    expect(boxes()[0]!.getAttribute("aria-invalid")).toBe("true");
    expect(boxes()[0]!.getAttribute("aria-describedby")).toBe(screen.getByRole("alert").id);
  });

  it("does nothing while disabled and takes overrides for its text", () => {
    render(<CodeInput disabled labels={{ code: () => "Code à 6 chiffres" }} />);
    expect(screen.getByRole("group", { name: "Code à 6 chiffres" })).toBeTruthy();
    for (const box of boxes()) expect(box.disabled).toBe(true);
  });

  it("offers a single-input variant with the same autofill and paste", () => {
    const onComplete = vi.fn();
    render(<CodeInput variant="single" onComplete={onComplete} />);
    const input = screen.getByLabelText("Enter the 6-digit code") as HTMLInputElement;
    expect(input.getAttribute("autocomplete")).toBe("one-time-code");
    expect(input.getAttribute("inputmode")).toBe("numeric");
    fireEvent.change(input, { target: { value: "12a3" } });
    expect(input.value).toBe("123");
    fireEvent.paste(input, { clipboardData: { getData: () => "code: 654 321" } });
    expect(input.value).toBe("654321");
    expect(onComplete).toHaveBeenCalledExactlyOnceWith("654321");
  });
});

describe("extractDigits", () => {
  it("prefers a run of exactly the code's length", () => {
    expect(extractDigits("Your code is 123456. Valid for 5 minutes.", 6)).toBe("123456");
    expect(extractDigits("123 456", 6)).toBe("123456");
    expect(extractDigits("12345678", 6)).toBe("123456");
    expect(extractDigits("none", 6)).toBe("");
  });
});
