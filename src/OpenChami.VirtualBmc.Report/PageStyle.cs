using System.Security.Cryptography;
using System.Text;

namespace OpenChami.VirtualBmc.Report;

/// <summary>
/// The page's only stylesheet, a constant: the Content-Security-Policy allows exactly this text by its hash, so the
/// page runs no script, loads nothing and applies no other style, in a browser, a ticket system or a file.
/// Slot colours are classes s0..s9 (a slot's index in configuration order, modulo 10); the slot's name is always
/// written beside its colour, so slots that share a colour stay apart. No '&lt;', '&gt;' or '&amp;' in here: it is
/// written raw.
/// </summary>
internal static class PageStyle
{
    public const int SlotColours = 10;

    public const string Css = """

        :root{--ink:#1a202c;--muted:#4a5568;--line:#cbd5e0;--err:#c53030;--errbg:#fff5f5;--warn:#b7791f;--warnbg:#fffaf0;--ok:#276749}
        *{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
        body{font:13px/1.35 "DejaVu Sans",Verdana,Arial,sans-serif;color:var(--ink);margin:16px;background:#fff}
        h1{font-size:20px;margin:0 0 2px}
        h2{font-size:16px;margin:18px 0 6px;border-bottom:2px solid var(--line);padding-bottom:2px}
        h3{font-size:14px;margin:0 0 4px}
        .sub{color:var(--muted);margin:0 0 8px}
        .mono,.addr{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
        .verdict{font-size:15px;font-weight:bold;padding:6px 10px;border-radius:4px;display:inline-block;margin:4px 0 8px}
        .verdict.good{background:#f0fff4;color:var(--ok);border:1px solid #9ae6b4}
        .verdict.bad{background:var(--errbg);color:var(--err);border:1px solid #feb2b2}
        table{border-collapse:collapse;width:100%}
        th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
        th{background:#edf2f7;font-weight:bold}
        .swatch{display:inline-block;vertical-align:-1px;margin-right:4px}
        .swatch rect{fill:var(--c)}
        .swatch.free rect{fill:#fff;stroke:#a0aec0;stroke-width:2}
        .badge{display:inline-block;background:var(--c);color:#fff;border-radius:3px;padding:0 5px;margin:1px 2px 1px 0;font-weight:bold;white-space:nowrap}
        .dev{display:inline-block;margin-right:12px}
        .unresolved{color:var(--err);font-weight:bold}
        table.slots td:nth-child(5){width:38%}
        .usable{color:var(--ok);font-weight:bold;white-space:nowrap}
        .unusable{color:var(--err);font-weight:bold;white-space:nowrap}
        .legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0}
        .numa{display:grid;grid-template-columns:repeat(auto-fit,minmax(600px,1fr));gap:14px;align-items:start}
        .node{border:2px solid #718096;border-radius:6px;padding:8px;background:#f7fafc;break-inside:avoid-page}
        .facts{color:var(--muted);margin:0 0 6px}
        .cpumap{display:block;margin:4px 0}
        .cpumap rect{fill:#e2e8f0;stroke:#a0aec0;stroke-width:0.5}
        .cpumap rect.own{fill:var(--c)}
        .membar{display:block;width:100%;height:14px;margin:4px 0}
        .membar rect{fill:#e2e8f0}
        .membar rect.own{fill:var(--c)}
        .groups{display:flex;flex-direction:column;gap:6px;margin-top:8px}
        .group{border:1px dashed #718096;border-radius:4px;padding:4px 6px;background:#fff;break-inside:avoid}
        .group h4{margin:0 0 3px;font-size:12px;color:var(--muted);font-weight:normal}
        .card{border:1px solid var(--line);border-left:6px solid #a0aec0;border-radius:3px;padding:3px 6px;margin:3px 0;background:#fff;break-inside:avoid}
        .card.own{border-color:var(--c);background:var(--t)}
        .card.bridge{color:var(--muted);border-left-color:var(--line)}
        .kind{display:inline-block;font-weight:bold;min-width:4.5em}
        .detail{color:var(--muted)}
        .vfs{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:2px 6px;margin:4px 0 2px}
        .vf{border:1px solid var(--line);border-left:5px solid #a0aec0;border-radius:2px;padding:1px 4px;font-size:12px;background:#fff}
        .vf.own{border-color:var(--c);background:var(--t)}
        .finding{margin:3px 0;padding:2px 5px;border-radius:3px;font-size:12px}
        .finding.error{background:var(--errbg);border:1px solid #feb2b2}
        .finding.warning{background:var(--warnbg);border:1px solid #fbd38d}
        .finding .code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-weight:bold}
        .finding.error .code{color:var(--err)}
        .finding.warning .code{color:var(--warn)}
        .ef{color:var(--muted);display:block}
        .none{color:var(--muted);font-style:italic}
        .s0{--c:#2b6cb0;--t:#e3edf8}.s1{--c:#2f855a;--t:#e1f2e7}.s2{--c:#b7791f;--t:#faf0db}.s3{--c:#6b46c1;--t:#ece6f8}
        .s4{--c:#c05621;--t:#fbe6d9}.s5{--c:#2c7a7b;--t:#dcf0f0}.s6{--c:#b83280;--t:#f8e1ee}.s7{--c:#975a16;--t:#f2e6d6}
        .s8{--c:#2a4365;--t:#dde3ee}.s9{--c:#702459;--t:#f2dde9}
        @media print{body{margin:0;font-size:11px}.numa{grid-template-columns:1fr}.node{break-inside:auto}h2{break-after:avoid}}

        """;

    /// <summary>The CSP source that allows exactly <see cref="Css"/> (the whole text between the style tags).</summary>
    public static readonly string Hash = "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Css))) + "'";

    /// <summary>The policy of the page: nothing but its own stylesheet (no script, no fetch, no frame, no form).</summary>
    public static readonly string ContentSecurityPolicy = $"default-src 'none'; style-src {Hash}; base-uri 'none'; form-action 'none'";
}
