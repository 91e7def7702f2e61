// Panels never name a datasource directly: they go through a template variable whose default is the uid
// provisioned in provisioning/datasources/datasources.yml, so a dashboard can be pointed at another
// Prometheus or Loki from its header.

export interface Datasource {
  /** the template variable, referenced as ${variable} */
  variable: string;
  /** name and uid of the provisioned datasource: the variable's default */
  name: string;
  uid: string;
  type: "prometheus" | "loki";
}

export interface DatasourceRef {
  type: Datasource["type"];
  uid: string;
}

export const PROMETHEUS: Datasource = {
  variable: "datasource",
  name: "Prometheus",
  uid: "prometheus",
  type: "prometheus",
};

export const LOKI: Datasource = { variable: "loki", name: "Loki", uid: "loki", type: "loki" };

export function datasourceRef(ds: Datasource): DatasourceRef {
  return { type: ds.type, uid: `\${${ds.variable}}` };
}

export function datasourceVariable(ds: Datasource): Record<string, unknown> {
  return {
    name: ds.variable,
    label: ds.name,
    type: "datasource",
    query: ds.type,
    current: { text: ds.name, value: ds.uid },
    hide: 0,
    refresh: 1,
    regex: "",
    options: [],
  };
}
