using System.CommandLine;

var root = new RootCommand("etcd-hygiene keeps etcd clusters used as service registries healthy.");
return await root.Parse(args).InvokeAsync();
