// The pairing link as a QR code: the modules from qrcode-generator, drawn as one SVG path
// (built with DOM calls, no markup parsed).
import qrcode from "qrcode-generator";

/** Light modules around the code that scanners need. */
const QUIET = 4;

/** The dark modules of `text`'s QR code as an SVG path, and the size of the square. */
export function qrPath(text: string): { size: number; path: string } {
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  const count = code.getModuleCount();
  const parts: string[] = [];
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (code.isDark(row, col)) parts.push(`M${col + QUIET} ${row + QUIET}h1v1h-1z`);
    }
  }
  return { size: count + 2 * QUIET, path: parts.join("") };
}

const SVG = "http://www.w3.org/2000/svg";

export function qrSvg(document: Document, text: string, label: string): SVGSVGElement {
  const { size, path } = qrPath(text);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.classList.add("qr");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.classList.add("qr-light");
  const modules = document.createElementNS(SVG, "path");
  modules.setAttribute("d", path);
  modules.classList.add("qr-dark");
  svg.append(background, modules);
  return svg;
}
