// Applies role assignments whose scope lives in this resource group: storage accounts, blob
// containers and an Application Insights component. Names, roles and principals are decided in
// infra/rbac.bicep (the one place); this module only places them at the right scope.

metadata name = 'Lifeboat resource-group role assignments'
metadata description = 'Role assignments on storage accounts, containers and Application Insights.'

@description('Optional. Assignments on storage accounts: {name, storageAccountName, roleDefinitionId, principalId}.')
param storageAccountAssignments array = []

@description('Optional. Assignments on blob containers: {name, storageAccountName, containerName, roleDefinitionId, principalId}.')
param containerAssignments array = []

@description('Optional. Assignments on Application Insights: {name, componentName, roleDefinitionId, principalId}.')
param appInsightsAssignments array = []

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
