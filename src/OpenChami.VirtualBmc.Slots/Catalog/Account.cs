namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>A Redfish account; the password exists only as a salted slow hash.</summary>
public sealed record Account(string UserName, AccountRole Role, string PasswordHash, bool Enabled, SourceLocation Where);

/// <summary>The three predefined Redfish roles.</summary>
public enum AccountRole { Administrator, Operator, ReadOnly }
