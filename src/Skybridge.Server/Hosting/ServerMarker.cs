namespace Skybridge.Server.Hosting;

internal static class ServerMarker;
