using System.Net;

namespace Ferry.Client;

/// <summary>A small HTML page for the browser tab.</summary>
internal sealed record LoopbackPage(string Html)
{
    public static LoopbackPage Success(string title, string text) => Make(title, text, ok: true);

    public static LoopbackPage Refusal(string title, string text) => Make(title, text, ok: false);

    private static LoopbackPage Make(string title, string text, bool ok) => new($"""
        <!doctype html><html><head><meta charset="utf-8"><title>Ferry: {WebUtility.HtmlEncode(title)}</title>
        <style>body{"{"}font-family:sans-serif;max-width:36em;margin:4em auto{"}"}h1{"{"}color:{(ok ? "#185" : "#b20")}{"}"}</style></head>
        <body><h1 id="{(ok ? "ok" : "error")}">{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p></body></html>
        """);
}
