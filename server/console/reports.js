// The criterion-19 report.
import {api, el, go, t, table} from "./core.js";

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// A bar per district (per province after 2025): communes in all (grey) and those that met the criterion (green).
function chart(districts) {
  const bar = 22, gap = 8, label = 170, width = 720;
  const most = Math.max(1, ...districts.map(d => d.total));
  const height = districts.length * (bar + gap) + gap;
  const s =
      svg("svg", {class: "chart", id: "report-chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img"});
  districts.forEach((d, i) => {
    const y = gap + i * (bar + gap), scale = (width - label - 60) / most;
    s.append(
        svg("text", {x: 0, y: y + bar * 0.7}, d.name),
        svg("rect", {class: "total", x: label, y, width: d.total * scale, height: bar}),
        svg("rect", {class: "met", x: label, y, width: d.met * scale, height: bar}),
        svg("text", {x: label + d.total * scale + 6, y: y + bar * 0.7}, `${d.met}/${d.total}`));
  });
  return s;
}

async function reportsView(view, q) {
  const year = q.get("year") || "";
  const input = el("input", {id: "report-year", value: year, size: 6, inputmode: "numeric"});
  const form =
      el("form", {class: "filters"}, el("label", {}, t("year"), input), el("button", {type: "submit"}, t("show")));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    go("/reports", {year: input.value.trim()});
  });
  view.append(el("h1", {}, t("reports_title")), form);
  const {data: r} =
      await api("GET", "/admin/v1/reports/criterion19" + (year ? "?year=" + encodeURIComponent(year) : ""));
  if (!input.value) input.value = String(r.year);
  const y = "year=" + r.year;
  // A map after 1 July 2025 has no districts: its communes are grouped by province.
  const group = r.grouped_by === "province" ? "province" : "district";
  view.append(
      // A limited account's total is of its communes alone: never shown as the province's.
      el("p", {id: "report-province"},
         el("strong", {},
            r.limited_to ? t("communes_figure", r.limited_to.join(", "), r.province.met, r.province.total) :
                           t("province_figure", r.province.met, r.province.total)),
         ` (${t("year")} ${r.year})`),
      el("p", {},
         el("a", {id: "download-csv", href: `/admin/v1/reports/criterion19.csv?${y}`, download: ""}, t("download_csv")),
         " · ",
         el("a",
            {id: "download-csv-communes", href: `/admin/v1/reports/criterion19.csv?${y}&by_commune=1`, download: ""},
            t("download_csv_communes")),
         " · ",
         el("a", {id: "download-xlsx", href: `/admin/v1/reports/criterion19.xlsx?${y}`, download: ""},
            t("download_xlsx"))),
      chart(r.districts), el("h2", {}, t(group)),
      table(
          [
            {title: group, cell: d => d.name}, {title: "met", num: true, cell: d => d.met},
            {title: "total", num: true, cell: d => d.total}
          ],
          r.districts),
      el("h2", {}, t("commune")),
      table(
          [
            {title: "commune", cell: c => `${c.name} (${c.code})`},
            {title: group, cell: c => c[group]},
            {title: "met", cell: c => c.met ? t("yes") : t("no")},
            {title: "decided_on", cell: c => c.decided_on},
          ],
          r.communes));
}

export {reportsView};
