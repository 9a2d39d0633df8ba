"""Lightning layer: DataModules over the embedding store, LightningModules that receive a network."""
