import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { CountrySelect } from "./country-select.js";

const open = () => fireEvent.click(screen.getByRole("button", { name: /^Country:/ }));
const optionNames = () => screen.queryAllByRole("option").map((option) => option.textContent);

describe("CountrySelect", () => {
  it("shows the flag and dial code, and names the country for screen readers", () => {
    render(<CountrySelect value="GB" onChange={() => {}} countries={["US", "GB"]} />);
    const button = screen.getByRole("button", { name: "Country: United Kingdom, +44" });
    expect(button.textContent).toContain("+44");
    expect(button.textContent).toContain("\u{1F1EC}\u{1F1E7}");
    expect(button.getAttribute("aria-expanded")).toBe("false");
  });

  it("lists only the offered countries, by name in the locale, the selected one marked", () => {
    render(<CountrySelect value="DE" onChange={() => {}} countries={["US", "DE", "FR"]} locale="fr" />);
    open();
    expect(optionNames()).toEqual([
      "\u{1F1E9}\u{1F1EA}Allemagne+49",
      "\u{1F1FA}\u{1F1F8}États-Unis+1",
      "\u{1F1EB}\u{1F1F7}France+33",
    ]);
    expect(screen.getByRole("option", { selected: true }).textContent).toContain("Allemagne");
    expect(document.activeElement).toBe(screen.getByRole("combobox", { name: "Search countries" }));
  });

  it("searches by name (accents ignored), region code or dial code, and picks with the keyboard", () => {
    const onChange = vi.fn();
    render(<CountrySelect value="US" onChange={onChange} countries={["US", "CA", "GB", "CI", "DE"]} />);
    open();
    const search = screen.getByRole("combobox");
    fireEvent.change(search, { target: { value: "cote" } });
    expect(optionNames()).toEqual([expect.stringContaining("Côte d’Ivoire")]);
    fireEvent.change(search, { target: { value: "+44" } });
    expect(optionNames()).toEqual([expect.stringContaining("United Kingdom")]);
    fireEvent.change(search, { target: { value: "1" } });
    expect(optionNames()).toEqual([
      expect.stringContaining("Canada"),
      expect.stringContaining("United States"),
    ]);
    fireEvent.keyDown(search, { key: "ArrowDown" });
    expect(search.getAttribute("aria-activedescendant")).toBe(screen.getAllByRole("option")[1]!.id);
    fireEvent.keyDown(search, { key: "Enter" });
    expect(onChange).toHaveBeenCalledExactlyOnceWith("US");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: /^Country:/ }));
  });

  it("says when nothing matches, and closes on Escape without a change", () => {
    const onChange = vi.fn();
    render(<CountrySelect value="US" onChange={onChange} countries={["US", "CA"]} />);
    open();
    fireEvent.change(screen.getByRole("combobox"), { target: { value: "atlantis" } });
    expect(screen.getByRole("status").textContent).toBe("No country matches.");
    fireEvent.keyDown(screen.getByRole("combobox"), { key: "Escape" });
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(onChange).not.toHaveBeenCalled();
  });

  it("picks with the mouse, and has nothing to open when one country is offered", () => {
    const onChange = vi.fn();
    const { rerender } = render(<CountrySelect value="US" onChange={onChange} countries={["US", "CA"]} />);
    open();
    fireEvent.mouseDown(screen.getByRole("option", { name: /Canada/ }));
    expect(onChange).toHaveBeenCalledWith("CA");
    rerender(<CountrySelect value="US" onChange={onChange} countries={["US"]} />);
    expect((screen.getByRole("button", { name: /^Country:/ }) as HTMLButtonElement).disabled).toBe(true);
  });
});
