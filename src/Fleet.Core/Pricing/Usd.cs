using System.Globalization;

namespace Fleet.Pricing;

/// <summary>How fleet writes an amount of US dollars, in every report and message.</summary>
public static class Usd
{
    /// <summary>To the cent, with up to two more digits so a small worker's cost is not shown as $0.00: <c>$0.0042</c>, <c>$1.50</c>.</summary>
    public static string Text(decimal value) => value.ToString("$0.00##", CultureInfo.InvariantCulture);

    /// <summary>Rounded to the cent, for totals over many calls: <c>$12.35</c>.</summary>
    public static string Cents(decimal value) => value.ToString("$0.00", CultureInfo.InvariantCulture);
}
