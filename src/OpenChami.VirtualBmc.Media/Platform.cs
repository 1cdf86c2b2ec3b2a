using System.Runtime.Versioning;

// The service runs on Linux (libvirt host); file modes of cached images rely on it.
[assembly: SupportedOSPlatform("linux")]
