namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>A Redfish account; the password exists only as a salted slow hash.</summary>
/// <param name="PasswordChangeRequired">The account may only read itself and set its password until it does (DSP0266).</param>
public sealed record Account(string UserName, AccountRole Role, string PasswordHash, bool Enabled, SourceLocation Where, bool PasswordChangeRequired = false);

/// <summary>The three predefined Redfish roles.</summary>
public enum AccountRole { Administrator, Operator, ReadOnly }
