using System.Text;
using System.Xml;

namespace OpenChami.VirtualBmc.Report;

/// <summary>
/// Polyglot XHTML through <see cref="XmlWriter"/>: every text and attribute is escaped by the writer, characters XML
/// cannot carry (control characters from a sysfs name) become U+FFFD, and non-void elements always get an end tag
/// (an HTML parser reads <c>&lt;div/&gt;</c> as an open tag).
/// </summary>
internal sealed class HtmlWriter : IDisposable
{
    public const string XhtmlNs = "http://www.w3.org/1999/xhtml";
    public const string SvgNs = "http://www.w3.org/2000/svg";

    private readonly XmlWriter _xml;

    public HtmlWriter(Stream output)
    {
        _xml = XmlWriter.Create(output, new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(false),
            OmitXmlDeclaration = true,
            Indent = true,
            IndentChars = " ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Replace,
        });
    }

    public void DocType() => _xml.WriteDocType("html", null, null, null);

    /// <summary>Opens an HTML element with an optional class; close it with <see cref="End"/>.</summary>
    public HtmlWriter Start(string name, string? cssClass = null)
    {
        _xml.WriteStartElement(name, XhtmlNs);
        if (cssClass is not null)
        {
            _xml.WriteAttributeString("class", cssClass);
        }
        return this;
    }

    public HtmlWriter StartSvg(string name, string? cssClass = null)
    {
        _xml.WriteStartElement(name, SvgNs);
        if (cssClass is not null)
        {
            _xml.WriteAttributeString("class", cssClass);
        }
        return this;
    }

    public HtmlWriter Attr(string name, string value)
    {
        _xml.WriteAttributeString(name, Clean(value));
        return this;
    }

    public HtmlWriter Text(string text)
    {
        _xml.WriteString(Clean(text));
        return this;
    }

    /// <summary>A whole element with text content.</summary>
    public HtmlWriter Element(string name, string? cssClass, string text) => Start(name, cssClass).Text(text).End();

    /// <summary>Closes an HTML element with an explicit end tag.</summary>
    public HtmlWriter End()
    {
        _xml.WriteFullEndElement();
        return this;
    }

    /// <summary>Closes a void HTML element (meta) or an SVG shape: self-closing is valid for both.</summary>
    public HtmlWriter EndEmpty()
    {
        _xml.WriteEndElement();
        return this;
    }

    /// <summary>Trusted constant text only (the stylesheet): written as is, never with data in it.</summary>
    public void Raw(string trusted) => _xml.WriteRaw(trusted);

    public void Dispose()
    {
        _xml.Flush();
        _xml.Dispose();
    }

    /// <summary>Replaces what XML 1.0 cannot carry (C0 controls but tab and newline, lone surrogates, U+FFFE/U+FFFF).</summary>
    internal static string Clean(string text)
    {
        var firstBad = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsOk(text, i, out var width))
            {
                firstBad = i;
                break;
            }
            i += width - 1;
        }
        if (firstBad < 0)
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, firstBad);
        for (var i = firstBad; i < text.Length; i++)
        {
            if (IsOk(text, i, out var width))
            {
                sb.Append(text, i, width);
                i += width - 1;
            }
            else
            {
                sb.Append('\uFFFD');
            }
        }
        return sb.ToString();
    }

    private static bool IsOk(string text, int i, out int width)
    {
        width = 1;
        var c = text[i];
        if (char.IsHighSurrogate(c))
        {
            if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                width = 2;
                return true;
            }
            return false;
        }
        return XmlConvert.IsXmlChar(c);
    }
}
