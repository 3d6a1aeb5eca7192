// Applies role assignments whose scope lives in this resource group: the group itself, storage
// accounts, blob containers, an Application Insights component, user-assigned identities and subnets. Names, roles and principals are decided in
// infra/rbac.bicep (the one place); this module only places them at the right scope.

metadata name = 'Lifeboat resource-group role assignments'
metadata description = 'Role assignments on the group, storage accounts, containers, Application Insights, identities and subnets.'

@description('Optional. Assignments on this resource group: {name, roleDefinitionId, principalId}.')
param groupAssignments array = []

@description('Optional. Assignments on storage accounts: {name, storageAccountName, roleDefinitionId, principalId}.')
param storageAccountAssignments array = []

@description('Optional. Assignments on blob containers: {name, storageAccountName, containerName, roleDefinitionId, principalId}.')
param containerAssignments array = []

@description('Optional. Assignments on Application Insights: {name, componentName, roleDefinitionId, principalId}.')
param appInsightsAssignments array = []

@description('Optional. Assignments on Event Grid topics: {name, topicName, roleDefinitionId, principalId}.')
param topicAssignments array = []

@description('Optional. Assignments on Log Analytics workspaces: {name, workspaceName, roleDefinitionId, principalId}.')
param workspaceAssignments array = []

@description('Optional. Assignments on user-assigned identities: {name, identityName, roleDefinitionId, principalId}.')
param identityAssignments array = []

@description('Optional. Assignments on subnets: {name, virtualNetworkName, subnetName, roleDefinitionId, principalId}.')
param subnetAssignments array = []

resource groupRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for a in groupAssignments: {
  name: a.name
  properties: {
    roleDefinitionId: a.roleDefinitionId
    principalId: a.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource accounts 'Microsoft.Storage/storageAccounts@2023-05-01' existing = [for a in storageAccountAssignments: {
  name: a.storageAccountName
}]

resource accountAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (a, i) in storageAccountAssignments: {
  name: a.name
  scope: accounts[i]
  properties: {
    roleDefinitionId: a.roleDefinitionId
    principalId: a.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for a in containerAssignments: {
  name: '${a.storageAccountName}/default/${a.containerName}'
}]

resource containerRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (a, i) in containerAssignments: {
  name: a.name
  scope: containers[i]
  properties: {
    roleDefinitionId: a.roleDefinitionId
    principalId: a.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource components 'Microsoft.Insights/components@2020-02-02' existing = [for a in appInsightsAssignments: {
  name: a.componentName
}]

resource componentAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (a, i) in appInsightsAssignments: {
  name: a.name
  scope: components[i]
  properties: {
    roleDefinitionId: a.roleDefinitionId
    principalId: a.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource topics 'Microsoft.EventGrid/topics@2025-02-15' existing = [for a in topicAssignments: {
  name: a.topicName
}]

resource topicRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (a, i) in topicAssignments: {
  name: a.name
  scope: topics[i]
  properties: {
    roleDefinitionId: a.roleDefinitionId
    principalId: a.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource workspaces 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = [for a in workspaceAssignments: {
  name: a.workspaceName
}]

resource workspaceRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (a, i) in workspaceAssignments: {
  name: a.name
  scope: workspaces[i]
  properties: {
    roleDefinitionId: a.roleDefinitionId
    principalId: a.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource identities 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = [for a in identityAssignments: {
  name: a.identityName
}]

resource identityRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (a, i) in identityAssignments: {
  name: a.name
  scope: identities[i]
  properties: {
    roleDefinitionId: a.roleDefinitionId
    principalId: a.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource subnets 'Microsoft.Network/virtualNetworks/subnets@2023-11-01' existing = [for a in subnetAssignments: {
  name: '${a.virtualNetworkName}/${a.subnetName}'
}]

resource subnetRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (a, i) in subnetAssignments: {
  name: a.name
  scope: subnets[i]
  properties: {
    roleDefinitionId: a.roleDefinitionId
    principalId: a.principalId
    principalType: 'ServicePrincipal'
  }
}]
