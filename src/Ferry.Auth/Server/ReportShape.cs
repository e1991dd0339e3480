namespace Ferry.Auth.Server;

/// <summary>
/// The one <c>null</c> the API's serializer lets through to the code after it: an entry of a list of objects (a
/// host's report of databases, sessions or egress usage). A null property, an entry of a list of strings and a value of
/// a map of strings are refused by the serializer itself (<see cref="Ferry.Contracts.AuthApiJsonContext"/>). A 400
/// naming the entry, never a 500.
/// </summary>
internal static class ReportShape
{
    public static void Entries<T>(List<T> list, string name)
        where T : class
    {
        int at = list.IndexOf(null!);
        if (at >= 0)
        {
            throw AuthException.Malformed($"{name}[{at}] is null: each entry is an object");
        }
    }
}
